"""AWS Lambda entry point (``Handler: app.lambda_handler`` in template.yml).

dash_lambda reads its settings from the environment variables the template
sets (``DASH_LAMBDA_PREFIXES`` and friends) and, with prefixes given, builds
the Dash app(s) here, during Lambda's init phase, rather than on the first
request.

The Makefile puts the app's static files, precompressed at build time
(``dash-lambda export-static``), next to this module as ``static-files/``;
when they are there the handler sends those bytes instead of compressing
at run time.  They are the default of ``DASH_LAMBDA_STATIC_DIR``, so the
function's environment still decides: ``off`` turns them off, a path picks
another export.
"""

import os
from pathlib import Path

from dash_app import build_app

from dash_lambda import make_lambda_handler

STATIC_FILES = Path(__file__).resolve().with_name("static-files")

if (STATIC_FILES / "manifest.json").is_file():
    os.environ.setdefault("DASH_LAMBDA_STATIC_DIR", str(STATIC_FILES))

lambda_handler = make_lambda_handler(build_app)
