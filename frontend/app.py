"""AWS Lambda entry point (``Handler: app.lambda_handler`` in template.yml).

dash_lambda reads its settings from the environment variables the template
sets (``DASH_LAMBDA_PREFIXES`` and friends) and, with prefixes given, builds
the Dash app(s) here, during Lambda's init phase, rather than on the first
request.
"""

from dash_app import build_app

from dash_lambda import make_lambda_handler

lambda_handler = make_lambda_handler(build_app)
