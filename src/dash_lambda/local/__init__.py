"""The development loop: ``dash-lambda serve``, ``invoke`` and ``export-static`` on a developer's machine."""
