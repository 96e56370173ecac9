"""Bad input and failures give a response a person can act on, never a traceback."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from apps import errors_app
from lambda_events import HTTP_FIXTURES, Decoded, FakeContext, callback_event, decode, event_for, load

from dash_lambda import (
    LambdaHandler,
    OutsideInvocationError,
    Refusal,
    Request,
    UnsupportedEventError,
    current_event,
    make_lambda_handler,
)
from dash_lambda.sources import find_source

DOORS = sorted(HTTP_FIXTURES)


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-default", "alb"])
def test_callback_exception_gives_500_naming_the_request_id(
    handler: LambdaHandler, door: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = callback_event(
        door, "explosion.children", [{"id": "explode", "property": "n_clicks", "value": 1}]
    )
    with caplog.at_level(logging.ERROR, logger="dash_lambda"):
        response = decode(handler(event, FakeContext("8f0e-request")))
    assert response.status == 500
    assert "8f0e-request" in response.text
    assert "Traceback" not in response.text and "RuntimeError" not in response.text
    assert "the callback failed on purpose" in caplog.text
    assert "Traceback" in caplog.text
    assert "8f0e-request" in caplog.text


def test_request_id_falls_back_to_the_event(handler: LambdaHandler) -> None:
    inputs = [{"id": "explode", "property": "n_clicks", "value": 1}]
    event = callback_event("rest-stage-url", "explosion.children", inputs)
    response = decode(handler(event, None))  # type: ignore[arg-type]  # no context at all
    assert event["requestContext"]["requestId"] in response.text


@pytest.mark.parametrize(
    ("door", "breakage", "message"),
    [
        ("rest-stage-url", {"path": 42}, "event.path must be a string starting with '/'"),
        ("rest-stage-url", {"headers": ["not", "a", "map"]}, "event.headers must map strings"),
        ("rest-stage-url", {"body": "%%%", "isBase64Encoded": True}, "not base64"),
        ("http-api-default", {"rawPath": None}, "event.rawPath"),
        ("http-api-default", {"requestContext": {"stage": "$default"}}, "requestContext.http"),
        ("http-api-default", {"cookies": [1, 2]}, "cookies must be a list of strings"),
        ("alb", {"httpMethod": None}, "event.httpMethod must be a string"),
        ("alb-multi-value", {"multiValueHeaders": {"a": "b"}}, "lists of strings"),
    ],
)
def test_malformed_http_event_gives_400_with_the_reason(
    handler: LambdaHandler, door: str, breakage: dict[str, object], message: str
) -> None:
    event = {**load(door), **breakage}
    response = handler(event, FakeContext())
    assert response["statusCode"] == 400
    assert message in json.loads(response["body"])["message"]


_SINGLE = "event.headers must map strings to strings"
_MULTI = "event.multiValueHeaders must map strings to lists of strings"


def _rest_with(field: str, name: str, value: object) -> dict[str, Any]:
    """The REST fixture with one header's value replaced in ``headers`` or ``multiValueHeaders``."""
    event = load("rest-stage-url")
    event[field] = {**event[field], name: value}
    return event


@pytest.mark.parametrize(
    ("event", "message"),
    [
        # Both maps name the same headers, as API Gateway sends them: they are checked in one pass.
        (_rest_with("headers", "Accept", 1), _SINGLE),
        (_rest_with("multiValueHeaders", "Accept", "text/html"), _MULTI),
        (_rest_with("multiValueHeaders", "Accept", [1]), _MULTI),
        (_rest_with("multiValueHeaders", "Accept", ["text/html", 2]), _MULTI),
        # They name different headers: each is checked on its own.
        (_rest_with("multiValueHeaders", "X-Extra", "1"), _MULTI),
        (_rest_with("headers", "X-Extra", ["1"]), _SINGLE),
    ],
)
def test_rest_header_maps_are_checked_whether_or_not_they_name_the_same_headers(
    handler: LambdaHandler, event: dict[str, Any], message: str
) -> None:
    response = handler(event, FakeContext())
    assert response["statusCode"] == 400
    assert message in json.loads(response["body"])["message"]


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({"Records": [{"eventSource": "aws:sqs", "body": "x"}]}, "aws:sqs"),
        ({"detail-type": "Object Created", "source": "aws.s3"}, "aws.s3"),
        ({"hello": "world"}, "hello"),
        ({}, "no keys"),
    ],
)
def test_non_http_event_raises_the_documented_exception(
    handler: LambdaHandler, event: dict[str, object], named: str
) -> None:
    with pytest.raises(UnsupportedEventError, match=named):
        handler(event, FakeContext())


def test_non_dict_event_raises_the_documented_exception(handler: LambdaHandler) -> None:
    with pytest.raises(UnsupportedEventError, match="list"):
        handler(["not", "an", "event"], FakeContext())  # type: ignore[arg-type]


def test_current_event_is_the_event_as_it_arrived(handler: LambdaHandler) -> None:
    event = event_for("rest-base-path", "/event")
    response = decode(handler(event, FakeContext()))
    assert response.json() == {"path": "/dash/event"}


def test_current_event_outside_a_request_says_so() -> None:
    with pytest.raises(OutsideInvocationError, match="inside a Dash callback"):
        current_event()


# --- Failures of the app: what escapes it, what it answers itself --------------------------------


@pytest.fixture(scope="module")
def errors_handler() -> LambdaHandler:
    return make_lambda_handler(errors_app.build_app)


@pytest.fixture(scope="module")
def pages_handler() -> LambdaHandler:
    return make_lambda_handler(errors_app.build_app_with_error_pages)


@pytest.fixture
def errors_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.ERROR, logger="dash_lambda"):
        yield caplog


def click(door: str, kind: str) -> dict[str, Any]:
    """The renderer's callback request for a click on ``errors_app``'s button ``kind``."""
    return callback_event(door, f"{kind}-out.children", [{"id": kind, "property": "n_clicks", "value": 1}])


def served(handler: LambdaHandler, event: dict[str, Any], request_id: str) -> Decoded:
    """Call the handler and check the response has exactly the keys its front door expects."""
    raw = handler(event, FakeContext(request_id))
    source = find_source(event)
    assert source is not None
    assert set(raw) == set(source.make_response(event, 200, [], "")), raw
    return decode(raw)


def assert_adapter_500(response: Decoded, request_id: str) -> None:
    assert response.status == 500
    assert response.text == (
        f"Internal Server Error (request id {request_id}). The traceback is in the function's log."
    )
    assert response.header("cache-control") == "no-store"


def adapter_lines(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    """The dash_lambda error records naming ``request_id``."""
    return [
        record
        for record in caplog.records
        if record.name == "dash_lambda"
        and record.levelno >= logging.ERROR
        and request_id in record.getMessage()
    ]


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(
    ("kind", "what"),
    [
        ("exit", "SystemExit: 3"),
        ("interrupt", "KeyboardInterrupt"),
        ("custom", "CustomStop: unwound on purpose"),
        ("generator-exit", "GeneratorExit"),
    ],
)
def test_base_exception_raised_in_a_callback_gives_500_naming_the_request_id(
    errors_handler: LambdaHandler, errors_log: pytest.LogCaptureFixture, door: str, kind: str, what: str
) -> None:
    response = served(errors_handler, click(door, kind), "base-exc-1")
    assert_adapter_500(response, "base-exc-1")
    [line] = adapter_lines(errors_log, "base-exc-1")
    assert what in line.getMessage() and "/_dash-update-component" in line.getMessage()
    assert (
        line.exc_info is not None
        and line.exc_info[0] is not None
        and line.exc_info[0].__name__ == what.split(":")[0]
    )


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(
    ("kind", "what"),
    [
        ("str-body", "body has a str chunk"),
        ("str-chunks", "body has a str chunk"),
        ("none-header-name", "header name None"),
        ("int-header-value", "X-Count header is 3"),
        ("crlf-header-value", "X-Next header is 'a\\r\\nSet-Cookie: stolen=1'"),
        ("crlf-header-name", "header name 'X-A\\r\\nSet-Cookie'"),
        ("status-42", "status '42 Odd'"),
        ("status-600", "status '600 Beyond'"),
        ("status-unparsable", "status 'OK'"),
        ("no-start-response", "without calling start_response"),
        ("start-response-twice", "start_response twice"),
    ],
)
def test_malformed_wsgi_output_gives_500_and_is_logged(
    errors_handler: LambdaHandler, errors_log: pytest.LogCaptureFixture, door: str, kind: str, what: str
) -> None:
    response = served(errors_handler, event_for(door, f"/mangle/{kind}"), "wsgi-1")
    assert_adapter_500(response, "wsgi-1")
    assert not response.cookies and "stolen" not in json.dumps(response.raw)
    [line] = adapter_lines(errors_log, "wsgi-1")
    assert "WsgiProtocolError" in line.getMessage() and what in line.getMessage()


@pytest.mark.parametrize("door", DOORS)
def test_an_error_page_given_with_exc_info_replaces_the_response(
    errors_handler: LambdaHandler, door: str
) -> None:
    response = served(errors_handler, event_for(door, f"/mangle/{errors_app.REPLACED}"), "replaced-1")
    assert response.status == 503
    assert response.text == "try again soon"
    assert response.header("retry-after") == "5"


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(
    ("request_of", "what"),
    [
        (lambda door: click(door, "runtime"), "RuntimeError"),
        (lambda door: event_for(door, "/fails"), "ValueError"),
    ],
    ids=["callback", "route"],
)
def test_an_app_with_its_own_500_page_answers_with_it_and_the_log_has_the_request_id(
    pages_handler: LambdaHandler,
    errors_log: pytest.LogCaptureFixture,
    door: str,
    request_of: Callable[[str], dict[str, Any]],
    what: str,
) -> None:
    response = served(pages_handler, request_of(door), "own-page-1")
    assert response.status == 500
    assert response.text == errors_app.ERROR_PAGE
    [line] = adapter_lines(errors_log, "own-page-1")
    assert f"the app raised {what}" in line.getMessage()
    assert line.exc_info is not None and line.exc_info[0] is not None and line.exc_info[0].__name__ == what


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(
    ("path", "what"),
    [("/fails", "ValueError"), ("/inner/fails", "LookupError")],
    ids=["dash-server", "inner-flask-app"],
)
def test_flasks_generic_500_page_becomes_the_request_id_without_a_traceback(
    errors_handler: LambdaHandler, errors_log: pytest.LogCaptureFixture, door: str, path: str, what: str
) -> None:
    response = served(errors_handler, event_for(door, path), "generic-1")
    assert_adapter_500(response, "generic-1")
    assert "Traceback" not in response.text and what not in response.text
    [line] = adapter_lines(errors_log, "generic-1")
    assert f"the app raised {what}" in line.getMessage() and line.exc_info is not None


def test_without_the_adapter_flask_answers_a_callback_exception_without_a_traceback() -> None:
    """The page the adapter replaces carries nothing secret either (debug off): pinned on Flask itself."""
    app = errors_app.build_app({"routes_pathname_prefix": "/", "requests_pathname_prefix": "/"})
    event = click("rest-custom-domain", "runtime")
    answer = app.server.test_client().post(
        "/_dash-update-component", data=event["body"], content_type="application/json"
    )
    assert answer.status_code == 500
    assert b"Traceback" not in answer.data and b"RuntimeError" not in answer.data
    assert b"Internal Server Error" in answer.data


@pytest.mark.parametrize("door", DOORS)
def test_an_exception_propagating_out_of_flask_is_logged_once_with_the_request_id(
    errors_log: pytest.LogCaptureFixture, door: str
) -> None:
    handler = make_lambda_handler(errors_app.build_propagating_app)
    response = served(handler, event_for(door, "/fails"), "propagated-1")
    assert_adapter_500(response, "propagated-1")
    lines = adapter_lines(errors_log, "propagated-1")
    assert [bool(line.exc_info) for line in lines] == [True, False]  # one traceback
    assert "the app raised ValueError" in lines[0].getMessage()
    assert "the app failed on GET" in lines[1].getMessage() and "traceback above" in lines[1].getMessage()


@pytest.mark.parametrize("door", DOORS)
def test_prevent_update_is_answered_by_dash_with_204_and_logs_nothing(
    errors_handler: LambdaHandler, errors_log: pytest.LogCaptureFixture, door: str
) -> None:
    response = served(errors_handler, click(door, "prevent"), "prevent-1")
    assert response.status == 204
    assert response.body == b""
    assert not adapter_lines(errors_log, "prevent-1")


@pytest.mark.parametrize("door", DOORS)
def test_missing_resources_and_wrong_methods_are_answered_by_the_app(
    errors_handler: LambdaHandler,
    pages_handler: LambdaHandler,
    errors_log: pytest.LogCaptureFixture,
    door: str,
) -> None:
    """Dash routes every other path to its index: a missing asset is the 404 a Dash app gives."""
    generic = served(errors_handler, event_for(door, "/assets/missing.png"), "nf-1")
    assert generic.status == 404 and "<h1>Not Found</h1>" in generic.text
    own = served(pages_handler, event_for(door, "/assets/missing.png"), "nf-2")
    assert own.status == 404 and own.text == errors_app.NOT_FOUND_PAGE
    wrong_method = served(errors_handler, event_for(door, "/fails", method="POST"), "nf-4")
    assert wrong_method.status == 405 and "GET" in (wrong_method.header("allow") or "")
    assert not errors_log.records


def test_dash_debug_mode_answers_a_callback_exception_with_its_own_page(
    errors_log: pytest.LogCaptureFixture,
) -> None:
    """Dash's dev tools show the traceback on purpose; the adapter does not second-guess the app."""
    handler = make_lambda_handler(errors_app.build_debug_app)
    response = served(handler, click("rest-stage-url", "runtime"), "debug-1")
    assert response.status == 500
    assert "the callback failed on purpose" in response.text
    assert "request id" not in response.text


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-default", "alb"])
def test_an_authorizer_raising_base_exception_gives_500_naming_the_request_id(
    errors_log: pytest.LogCaptureFixture, door: str
) -> None:
    def authorize(_: Request) -> Refusal | None:
        raise SystemExit("authorizer quit")

    handler = make_lambda_handler(errors_app.build_app, authorizers=[authorize])
    response = served(handler, event_for(door, "/"), "auth-1")
    assert_adapter_500(response, "auth-1")
    [line] = adapter_lines(errors_log, "auth-1")
    assert "the authorizer failed" in line.getMessage() and "SystemExit: authorizer quit" in line.getMessage()


def nested(depth: int, leaf: Any = "x") -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": [value]}
    return value


@pytest.mark.parametrize(
    ("door", "breakage"),
    [
        ("alb", {"path": "/\udc80"}),
        ("alb-multi-value", {"path": "/assets/\ud800.png"}),
        ("function-url", {"rawPath": "/\udfff"}),
        ("http-api-stage", {"rawPath": "/Prod/\udc80"}),
        ("rest-stage-url", {"path": "/\udc80"}),
        ("rest-stage-url", {"body": nested(1000)}),
        ("rest-base-path", {"headers": nested(1000)}),
        ("http-api-default", {"requestContext": nested(1000)}),
        ("sam-local", {"queryStringParameters": nested(1000)}),
        ("alb", {"requestContext": {"elb": nested(1000)}}),
    ],
)
def test_crafted_events_get_a_response_in_their_sources_shape(
    errors_handler: LambdaHandler, door: str, breakage: dict[str, Any]
) -> None:
    response = served(errors_handler, {**event_for(door, "/"), **breakage}, "crafted-1")
    assert 200 <= response.status <= 599


@pytest.mark.parametrize(
    "event",
    [
        {"Records": [{"eventSource": nested(1000)}]},
        {"source": nested(1000)},
        {"hello": nested(1000)},
    ],
    ids=["records", "source", "other"],
)
def test_a_crafted_non_http_event_still_raises_the_documented_exception(
    errors_handler: LambdaHandler, event: dict[str, Any]
) -> None:
    with pytest.raises(UnsupportedEventError, match="dash_lambda handles HTTP events"):
        errors_handler(event, FakeContext())


def test_a_warm_up_that_cannot_build_the_app_reports_it_instead_of_raising(
    errors_log: pytest.LogCaptureFixture,
) -> None:
    def broken(_: dict[str, Any]) -> Any:
        raise RuntimeError("no database")

    handler = make_lambda_handler(broken, prefix="/Prod/")
    answer = handler({"warmup": True}, FakeContext("warm-1"))
    assert answer["warmed"] == []
    assert "RuntimeError: no database" in answer["error"] and "warm-1" in answer["error"]
    [line] = adapter_lines(errors_log, "warm-1")
    assert line.exc_info is not None


def test_every_exception_the_library_defines_is_a_dash_lambda_error() -> None:
    import importlib
    import inspect
    import pkgutil

    import dash_lambda
    from dash_lambda import DashLambdaError
    from dash_lambda.background.worker import JobStopped
    from dash_lambda.cdn_upload import UploadError

    defined: set[type[BaseException]] = set()
    for module_info in pkgutil.walk_packages(dash_lambda.__path__, "dash_lambda."):
        module = importlib.import_module(module_info.name)
        defined.update(
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, BaseException)
            and value.__module__ == module.__name__
        )
    # Not an error: a BaseException, so a callback's `except Exception` cannot swallow it.
    # The CDN upload function is packaged alone, without dash_lambda (see cdn_upload's docstring).
    exempt = {JobStopped, UploadError}
    assert len(defined) > 10
    assert {error.__name__ for error in defined - exempt if not issubclass(error, DashLambdaError)} == set()
