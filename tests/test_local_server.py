"""``dash-lambda serve``: the local gateway in process, and the real server in a subprocess.

The gateway tests call :class:`LocalGateway` as a WSGI app (Werkzeug's test
client) with the real handler behind it, for every front door.  The
subprocess tests start the command a user types and check what they see:
the URL line, one-line errors, the AWS answers outside the prefix, reloads.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apps import local_app
from serving import Served, free_port, run_serve, start_serve, stop
from werkzeug.test import Client

from dash_lambda import LambdaHandler, make_lambda_handler
from dash_lambda.local.events import FrontDoor
from dash_lambda.local.gateway import LocalGateway
from dash_lambda.local.server import self_check
from dash_lambda.local.targets import ServeError, describe_exception, load_target, make_handler

TESTS = Path(__file__).resolve().parent
APPS = TESTS / "apps"

DOORS = {
    "v1-stage": FrontDoor("v1", stage="Prod"),
    "v1-base-path": FrontDoor("v1", base_path="dash"),
    "v1-custom-domain": FrontDoor("v1"),
    "v2-stage": FrontDoor("v2", stage="Prod"),
    "v2-default": FrontDoor("v2"),
    "url": FrontDoor("url"),
    "alb": FrontDoor("alb"),
    "alb-multi": FrontDoor("alb", multi_value_headers=True),
}


@pytest.fixture(scope="module")
def handler() -> LambdaHandler:
    return make_lambda_handler(local_app.build_app)


@pytest.fixture(params=sorted(DOORS))
def door(request: pytest.FixtureRequest) -> FrontDoor:
    return DOORS[request.param]


def client_for(handler: Any, door: FrontDoor) -> Client:
    return Client(LocalGateway(handler, door), use_cookies=False)


# -------------------------------------------------------------- the gateway


def test_index_carries_the_prefix_in_every_url(handler: LambdaHandler, door: FrontDoor) -> None:
    prefix = door.url_prefix
    response = client_for(handler, door).get(prefix, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f"<title>{local_app.TITLE}</title>" in html
    found = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', html)
    assert found, "the index has no _dash-config"
    config = json.loads(found[1])
    assert config["requests_pathname_prefix"] == prefix
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(src.startswith(prefix) for src in scripts)


def test_layout_callback_and_component_bundle(handler: LambdaHandler, door: FrontDoor) -> None:
    client, prefix = client_for(handler, door), door.url_prefix
    layout = client.get(prefix + "_dash-layout")
    assert layout.status_code == 200
    assert "local-country" in layout.get_data(as_text=True)
    assert client.get(prefix + "_dash-layout").headers.get("Content-Encoding") is None
    update = client.post(
        prefix + "_dash-update-component",
        json={
            "output": "local-graph.figure",
            "outputs": {"id": "local-graph", "property": "figure"},
            "inputs": [{"id": "local-country", "property": "value", "value": "Chile"}],
            "changedPropIds": ["local-country.value"],
        },
    )
    assert update.status_code == 200, update.get_data(as_text=True)
    figure = update.get_json()["response"]["local-graph"]["figure"]
    assert figure["data"][0]["y"] == local_app.COUNTRIES["Chile"]
    html = client.get(prefix).get_data(as_text=True)
    bundle = next(src for src in re.findall(r'<script src="([^"]+)"', html) if "dash_core_components" in src)
    script = client.get(bundle, headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200
    assert script.headers["Content-Encoding"] in ("gzip", "br")  # compressed by the handler, passed on


def test_binary_body_survives_base64(handler: LambdaHandler, door: FrontDoor) -> None:
    response = client_for(handler, door).get(door.url_prefix + "logo.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.get_data() == local_app.PNG
    assert response.headers["Content-Length"] == str(len(local_app.PNG))


def test_request_reaches_the_app_intact(handler: LambdaHandler, door: FrontDoor) -> None:
    body = bytes(range(256))
    response = client_for(handler, door).post(
        door.url_prefix + "echo?a=1&a=2&b=x%20y",
        data=body,
        headers={"Content-Type": "application/octet-stream", "Cookie": "c1=x; c2=y", "X-Custom": "yes"},
    )
    assert response.status_code == 200
    echo = response.get_json()
    assert echo["method"] == "POST"
    assert echo["path"] == "/echo"  # the app routes without the prefix
    assert base64.b64decode(echo["body_b64"]) == body
    assert echo["cookies"] == {"c1": "x", "c2": "y"}
    assert echo["headers"]["x-custom"] == "yes"
    single_value_alb = door.payload == "alb" and not door.multi_value_headers
    # A single-value ALB target group keeps the last value of a repeated parameter, as AWS does.
    expected_query = (
        [["a", "2"], ["b", "x y"]] if single_value_alb else [["a", "1"], ["a", "2"], ["b", "x y"]]
    )
    assert echo["query"] == expected_query
    assert echo["url_root"].startswith("http://localhost/")


def test_repeated_set_cookie_restored(handler: LambdaHandler, door: FrontDoor) -> None:
    """Every front door delivers both cookies; a single-value ALB under two spellings of the name."""
    response = client_for(handler, door).get(door.url_prefix + "cookies")
    cookies = response.headers.getlist("Set-Cookie")
    assert sorted(c.split(";")[0] for c in cookies) == ["first=1", "second=2"]


def test_redirect_keeps_the_prefix(handler: LambdaHandler, door: FrontDoor) -> None:
    response = client_for(handler, door).get(door.url_prefix + "go")
    assert response.status_code == 302
    assert response.headers["Location"] == door.url_prefix + "echo"


def test_health_is_answered_by_the_handler(handler: LambdaHandler, door: FrontDoor) -> None:
    response = client_for(handler, door).get(door.url_prefix + "health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_app_errors_are_the_handlers_500(handler: LambdaHandler, caplog: pytest.LogCaptureFixture) -> None:
    response = client_for(handler, DOORS["v1-stage"]).get("/Prod/boom")
    assert response.status_code == 500
    assert "request id" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "path", "status", "message"),
    [
        ("v1-stage", "/", 403, "Forbidden"),
        ("v1-stage", "/Production/", 403, "Forbidden"),
        ("v1-base-path", "/x", 403, "Forbidden"),
        ("v2-stage", "/favicon.ico", 404, "Not Found"),
    ],
)
def test_outside_the_prefix_the_function_is_not_invoked(
    name: str, path: str, status: int, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[dict[str, Any]] = []

    def spy(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event)
        return {"statusCode": 200, "body": ""}

    door = DOORS[name]
    response = client_for(spy, door).get(path, headers={"Host": "127.0.0.1:8050"})
    assert (response.status_code, response.get_json()) == (status, {"message": message})
    assert calls == []
    assert f"open http://127.0.0.1:8050{door.url_prefix}" in caplog.text


def test_a_browser_outside_the_prefix_gets_a_page_with_the_url_or_the_fix(handler: LambdaHandler) -> None:
    client = client_for(handler, DOORS["v1-stage"])
    browser = {"Host": "127.0.0.1:8050", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    root = client.get("/", headers=browser)
    assert (root.status_code, root.mimetype) == (403, "text/html")
    assert 'Open <a href="http://127.0.0.1:8050/Prod/">' in root.text
    linked = client.get("/logo.png", headers={**browser, "Referer": "http://127.0.0.1:8050/Prod/"})
    assert linked.status_code == 403
    assert '<a href="http://127.0.0.1:8050/Prod/logo.png">' in linked.text
    assert 'dash.get_relative_path("/logo.png")' in linked.text
    assert "the link was on http://127.0.0.1:8050/Prod/" in linked.text
    image = client.get("/logo.png", headers={"Host": "127.0.0.1:8050", "Accept": "image/png,*/*"})
    assert (image.status_code, image.get_json()) == (403, {"message": "Forbidden"})  # AWS's answer, exactly


def _returns(value: Any) -> Any:
    def handler(event: dict[str, Any], context: Any) -> Any:
        return value

    return handler


@pytest.mark.parametrize(
    ("door_name", "returned", "reason"),
    [
        ("v1-stage", {"statusCode": 200, "cookies": ["a=1"], "body": ""}, "malformed"),
        ("v1-stage", {"statusCode": 200, "body": {"not": "a string"}}, "malformed"),
        ("v1-stage", {"statusCode": 200, "body": b"bytes"}, "not JSON-serializable"),
        ("v1-stage", {"statusCode": 200, "body": "x" * 6_300_000}, "bytes serialized"),
        ("alb", {"statusCode": 200, "headers": {}, "body": "x" * 1_100_000}, "bytes serialized"),
    ],
)
def test_responses_aws_would_refuse_become_its_502(
    door_name: str, returned: Any, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    door = DOORS[door_name]
    response = client_for(_returns(returned), door).get(door.url_prefix)
    assert response.status_code == 502
    assert response.get_json() == {"message": "Internal server error"}
    assert reason in caplog.text


def test_handler_exception_is_a_502_with_the_traceback_logged(caplog: pytest.LogCaptureFixture) -> None:
    def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise KeyError("path")

    response = client_for(crash, DOORS["v2-stage"]).get("/Prod/")
    assert response.status_code == 502
    assert "KeyError" in caplog.text and "the handler raised" in caplog.text


def test_rest_response_without_content_type_is_labelled_json() -> None:
    response = client_for(_returns({"statusCode": 200, "body": "{}"}), DOORS["v1-stage"]).get("/Prod/")
    assert response.headers["Content-Type"] == "application/json"


def test_request_id_header_and_context(handler: LambdaHandler) -> None:
    seen: list[Any] = []

    def spy(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(context)
        return {"statusCode": 204, "headers": {}, "body": ""}

    response = client_for(spy, DOORS["v1-stage"]).get("/Prod/x")
    assert response.status_code == 204
    assert response.headers["x-amzn-RequestId"]
    assert 0 < seen[0].get_remaining_time_in_millis() <= 30_000
    assert seen[0].aws_request_id


# -------------------------------------------------------------- loading


def test_load_target_finds_builders_and_handlers() -> None:
    # Imported as the top-level module ``local_app``, the way the command line names it.
    builder = load_target("local_app:build_app", APPS)
    assert builder.app is sys.modules["local_app"].build_app and builder.handler is None
    ready = load_target("local_app:lambda_handler", APPS)
    assert isinstance(ready.handler, LambdaHandler) and ready.app is None
    plain = load_target("local_app:plain_handler", APPS)
    assert plain.handler is sys.modules["local_app"].plain_handler


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("local_app", "expected MODULE:APP"),
        ("local_app:", "expected MODULE:APP"),
        ("local-app:build_app", "expected MODULE:APP"),
        ("local_ap:build_app", "did you mean 'local_app'?"),
        ("local_app:build_ap", "did you mean 'build_app'?"),
        ("local_app:NOT_A_BUILDER", "neither a dash.Dash app nor an app builder"),
    ],
)
def test_load_target_errors_say_what_to_change(spec: str, message: str) -> None:
    with pytest.raises(ServeError, match=re.escape(message)):
        load_target(spec, APPS)


def test_load_target_missing_app_dir() -> None:
    with pytest.raises(ServeError, match="is not a directory"):
        load_target("local_app:build_app", APPS / "missing")


def test_load_target_reports_errors_inside_the_module(tmp_path: Path) -> None:
    (tmp_path / "needs_pandas.py").write_text("import not_installed_anywhere\n")
    (tmp_path / "bad_syntax.py").write_text("def broken(:\n")
    (tmp_path / "instance.py").write_text(
        "import dash\napp = dash.Dash(__name__, assets_folder='none')\n", encoding="utf-8"
    )
    with pytest.raises(ServeError, match="No module named 'not_installed_anywhere'"):
        load_target("needs_pandas:build_app", tmp_path)
    with pytest.raises(ServeError, match=r"SyntaxError: .*bad_syntax.py:1\)"):
        load_target("bad_syntax:build_app", tmp_path)
    with pytest.raises(ServeError, match="the Dash app has no layout yet; create the handler after"):
        load_target("instance:app", tmp_path)


def test_builder_that_raises_is_one_line_naming_where() -> None:
    target = load_target("local_app:raising_build_app", APPS)
    with pytest.raises(ServeError) as caught:
        make_handler(target, ["/Prod/"])
    message = str(caught.value)
    assert "\n" not in message
    assert "FileNotFoundError: population.csv is missing" in message
    assert "local_app.py:" in message and "in raising_build_app" in message


def test_self_check_names_the_builder_error_of_a_ready_handler(capsys: pytest.CaptureFixture[str]) -> None:
    gateway = LocalGateway(local_app.raising_handler, DOORS["v1-stage"])
    with pytest.raises(ServeError, match=r"FileNotFoundError: population\.csv is missing"):
        self_check(gateway, "local_app:raising_handler", "127.0.0.1", 8050)
    assert "Traceback" not in capsys.readouterr().err


def test_describe_exception_without_traceback() -> None:
    assert describe_exception(ValueError("x\ny")) == "ValueError: x"
    assert describe_exception(KeyError()) == "KeyError"


# ------------------------------------------------------- the real command


@pytest.fixture
def served_v2() -> Iterator[Served]:
    served = start_serve(
        "--app-dir", str(APPS), "local_app:build_app", "--payload", "v2", "--stage", "Prod",
        "--port", "0", "--no-reload",
    )  # fmt: skip
    yield served
    stop(served)


def test_serve_announces_the_stage_url_and_serves_it(served_v2: Served) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/Prod/", served_v2.url)
    assert any(
        "served through the Lambda handler as HTTP API (payload 2.0), stage Prod" in line
        for line in served_v2.lines
    )
    status, headers, body = served_v2.get("/Prod/", {"Accept-Encoding": "identity"})
    assert status == 200
    assert f"<title>{local_app.TITLE}</title>" in body.decode()
    status, headers, body = served_v2.get("/Prod/logo.png")
    assert (status, headers["content-type"], body) == (200, "image/png", local_app.PNG)
    status, _, body = served_v2.get("/")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    log = stop(served_v2)
    assert "Running on" not in log  # Werkzeug's prefix-less URL is hidden
    assert "Traceback" not in log


def test_serve_keeps_raw_headers_and_repeats() -> None:
    served = start_serve("--app-dir", str(APPS), "local_app:build_app", "--port", "0", "--no-reload")
    try:
        host, port = served.url.split("//")[1].rstrip("/").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Twice: one\r\nX-Twice: two\r\nConnection: close\r\n\r\n"
            )
            raw = b""
            while chunk := sock.recv(65536):
                raw += chunk
        echo = json.loads(raw.split(b"\r\n\r\n", 1)[1])
        assert echo["headers"]["x-twice"] == "one,two"  # REST: both values in multiValueHeaders
    finally:
        stop(served)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["local_app"], "expected MODULE:APP"),
        (["--app-dir", str(APPS), "local_ap:build_app"], "did you mean 'local_app'?"),
        (
            ["--app-dir", str(APPS), "local_app:raising_build_app"],
            "FileNotFoundError: population.csv is missing",
        ),
        (
            ["--app-dir", str(APPS), "local_app:raising_handler"],
            "FileNotFoundError: population.csv is missing",
        ),
    ],
)
@pytest.mark.parametrize("reload", [False, True], ids=["no-reload", "reload"])
def test_serve_errors_are_one_line(args: list[str], expected: str, reload: bool) -> None:
    port = str(free_port()) if reload else "0"  # the reloader takes a port number, not 0
    result = run_serve(*args, "--port", port, *([] if reload else ["--no-reload"]))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("dash-lambda: error:")]
    assert len(errors) == 1 and expected in errors[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("reload", [False, True], ids=["no-reload", "reload"])
def test_serve_taken_port_is_werkzeugs_message_without_traceback(reload: bool) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        args = ["--app-dir", str(APPS), "local_app:build_app", "--port", str(port)]
        result = run_serve(*args, *([] if reload else ["--no-reload"]))
    assert result.returncode == 1
    assert f"Port {port} is in use by another program" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "dash-lambda: open" not in result.stdout  # no URL announced for a server that never ran


def test_serve_unknown_host_exits_without_traceback() -> None:
    args = ["--app-dir", str(APPS), "local_app:build_app", "--host", "no-such-host.invalid", "--port", "0"]
    result = run_serve(*args, "--no-reload")
    assert result.returncode == 1
    assert result.stderr.strip() and "Traceback" not in result.stderr + result.stdout
    assert "dash-lambda: open" not in result.stdout


def test_serve_port_zero_with_the_reloader_is_one_line() -> None:
    result = run_serve("--app-dir", str(APPS), "local_app:build_app", "--port", "0")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "dash-lambda: error: --port 0 picks a free port only with --no-reload; give a port number"
    )


def test_serve_reloads_on_code_change_and_survives_a_broken_save(tmp_path: Path) -> None:
    module = tmp_path / "reloading_app.py"
    source = (
        "import dash\nfrom dash import html\nMESSAGE = 'first version'\n"
        "def build_app(dash_kwargs):\n"
        "    app = dash.Dash(__name__, assets_folder='none', **dash_kwargs)\n"
        "    app.layout = html.Div(MESSAGE)\n    return app\n"
    )
    module.write_text(source)
    port = str(free_port())
    served = start_serve("--app-dir", str(tmp_path), "reloading_app:build_app", "--port", port, cwd=tmp_path)
    saves = 0

    def save(text: str) -> None:
        """Write, then date the file later than any earlier save: the stat reloader compares mtimes."""
        nonlocal saves
        saves += 1
        module.write_text(text)
        later = time.time() + 10 * saves
        os.utime(module, (later, later))

    try:

        def layout_when(predicate: Any, timeout: float = 30) -> tuple[int, bytes]:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    status, _, body = served.get("/_dash-layout")
                    if predicate(status, body):
                        return status, body
                except OSError:
                    pass  # between the old child and the new one
                if time.monotonic() > deadline:
                    raise AssertionError("the server did not reload")
                time.sleep(0.2)

        layout_when(lambda s, b: b"first version" in b)
        save(source.replace("first version", "second version"))
        layout_when(lambda s, b: b"second version" in b)
        save(source + "def broken(:\n")
        _, body = layout_when(lambda s, b: s == 500)
        assert b"SyntaxError" in body
        save(source.replace("first version", "third version"))
        layout_when(lambda s, b: b"third version" in b)
    finally:
        log = stop(served)
    assert "dash-lambda: error: importing 'reloading_app' failed: SyntaxError" in log
    assert log.count("server process ready in") == 3  # first start, second and third version
    assert log.count(f"open http://127.0.0.1:{port}/") == 3
