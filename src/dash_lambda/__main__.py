"""``python -m dash_lambda``: the same as the ``dash-lambda`` console script.

Useful where the venv's ``bin`` is not on ``PATH``; the reloader re-runs
whichever form started it.
"""

from __future__ import annotations

import sys

from .local.cli import main

if __name__ == "__main__":
    sys.exit(main())
