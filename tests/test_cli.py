"""The ``dash-lambda`` command line: flags, ``invoke``'s report, exit codes."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dash_lambda.local import cli
from dash_lambda.local.events import FrontDoor, LocalRequest, build_event
from dash_lambda.local.server import ServeOptions

APPS = Path(__file__).resolve().parent / "apps"


def write_event(tmp_path: Path, event: dict[str, Any], name: str = "event.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(event), encoding="utf-8")
    return str(path)


def http_event(path: str, door: FrontDoor | None = None, **request: Any) -> dict[str, Any]:
    return build_event(LocalRequest("GET", path, **request), door or FrontDoor("v1", stage="Prod"))


def run_invoke(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["invoke", "--app-dir", str(APPS), *args])
    out, err = capsys.readouterr()
    return status, out, err


def recording(seen: list[ServeOptions]) -> Callable[[ServeOptions], int]:
    """A stand-in for ``serve`` that keeps the options it was given and exits 0."""

    def serve(options: ServeOptions) -> int:
        seen.append(options)
        return 0

    return serve


# ------------------------------------------------------------------ parsing


def test_serve_flags_reach_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[ServeOptions] = []
    monkeypatch.setattr(cli, "serve", recording(seen))
    argv = [
        "serve", "--app-dir", "frontend", "dash_app:build_app", "--payload", "v2", "--stage", "Prod",
        "--host", "0.0.0.0", "--port", "9000", "--no-reload", "--gateway-timeout", "0",
    ]  # fmt: skip
    assert cli.main(argv) == 0
    (options,) = seen
    assert options.gateway_timeout_s is None  # 0: off, for a debugger
    assert options.spec == "dash_app:build_app"
    assert options.app_dir == "frontend"
    assert options.front_door == FrontDoor("v2", stage="Prod")
    assert (options.host, options.port, options.reload) == ("0.0.0.0", 9000, False)


def test_serve_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[ServeOptions] = []
    monkeypatch.setattr(cli, "serve", recording(seen))
    assert cli.main(["serve", "dash_app:build_app"]) == 0
    (options,) = seen
    assert options.front_door == FrontDoor("v1")
    assert options.app_dir is None
    assert (options.host, options.port, options.reload) == ("127.0.0.1", 8050, True)
    assert options.gateway_timeout_s == 29.0  # API Gateway's 504, as on AWS


def test_the_served_gateway_answers_504_past_the_gateway_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from werkzeug.test import Client

    from dash_lambda.local.server import build_gateway

    monkeypatch.syspath_prepend(str(APPS))
    # build_gateway installs its thread invoker for background jobs: restored after the test.
    monkeypatch.setattr("dash_lambda.background.invokers._default", None)
    options = ServeOptions("local_app:slow_handler", FrontDoor("v1", stage="Prod"), gateway_timeout_s=0.2)
    response = Client(build_gateway(options, 8050)).get("/Prod/")
    assert (response.status_code, response.get_json()) == (504, {"message": "Endpoint request timed out"})


def test_serve_static_dir_reaches_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[ServeOptions] = []
    monkeypatch.setattr(cli, "serve", recording(seen))
    assert cli.main(["serve", "dash_app:build_app", "--static", "static-files"]) == 0
    assert cli.main(["serve", "dash_app:build_app"]) == 0
    assert [options.static_dir for options in seen] == ["static-files", None]


def test_serve_base_path_and_alb_multi_value(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[ServeOptions] = []
    monkeypatch.setattr(cli, "serve", recording(seen))
    cli.main(["serve", "a:b", "--base-path", "/dash/"])
    cli.main(["serve", "a:b", "--payload", "alb", "--multi-value-headers"])
    assert seen[0].front_door.url_prefix == "/dash/"
    assert seen[1].front_door == FrontDoor("alb", multi_value_headers=True)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "a:b", "--payload", "url", "--stage", "Prod"], "a Function URL has no stage"),
        (["serve", "a:b", "--stage", "Prod", "--base-path", "dash"], "not both"),
        (["serve", "a:b", "--multi-value-headers"], "ALB setting"),
        (["serve", "a:b", "--port", "70000"], "between 0 and 65535"),
        (["serve", "a:b", "--payload", "v3"], "invalid choice"),
        (["serve"], "required"),
        (["invoke"], "required"),
        (
            ["invoke", "a:b", "event.json", "--path", "/x"],
            "give an EVENT file or describe the request (--path), not both",
        ),
        (["invoke", "a:b", "--header", "no colon"], "--header must look like 'Name: value'"),
        (["invoke", "a:b", "--path", "x"], "--path must start with '/'"),
        (["invoke", "a:b", "--payload", "alb", "--stage", "Prod"], "an ALB target group has no stage"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_help_lists_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    text = capsys.readouterr().out
    for flag in ("--app-dir", "--payload", "--stage", "--base-path", "--host", "--port", "--no-reload"):
        assert flag in text


def test_python_dash_m_and_console_script() -> None:
    module = subprocess.run(
        [sys.executable, "-m", "dash_lambda", "--version"], capture_output=True, text=True, timeout=60
    )
    assert module.returncode == 0 and module.stdout.startswith("dash-lambda ")
    script = Path(sys.executable).with_name("dash-lambda")
    assert script.exists(), "the console script comes with the editable install"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "serve" in result.stdout and "invoke" in result.stdout


# ------------------------------------------------------------------- invoke


def test_invoke_prints_status_headers_body_and_sizes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(tmp_path, http_event("/Prod/", headers=[("Accept-Encoding", "gzip")]))
    status, out, _ = run_invoke(capsys, "local_app:build_app", event)
    assert status == 0
    assert out.startswith("event: REST API (payload 1.0), GET /Prod/\n")
    assert "status: 200 OK" in out
    assert "  Content-Type: text/html; charset=utf-8" in out
    assert "gzip-decoded from" in out or "Content-Encoding" not in out
    assert "<title>Local Server Test</title>" in out  # the body, readable
    assert "size: " in out and "bytes serialized; Lambda's limit is 6,291,556 bytes" in out
    assert "bytes to spare" in out


def test_invoke_truncates_long_text_and_hides_binary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = write_event(tmp_path, http_event("/Prod/_dash-dependencies"), "deps.json")
    logo = write_event(tmp_path, http_event("/Prod/logo.png"), "logo.json")
    _, out, _ = run_invoke(capsys, "local_app:build_app", page)
    _, full, _ = run_invoke(capsys, "local_app:build_app", page, "--full")
    assert len(full) >= len(out)
    _, out, _ = run_invoke(capsys, "local_app:build_app", logo)
    assert "body: image/png, 70 bytes (base64 in the response); binary, not shown" in out


def test_invoke_truncation_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = write_event(tmp_path, http_event("/Prod/", headers=[("Accept-Encoding", "identity")]))
    _, out, _ = run_invoke(capsys, "local_app:build_app", event)
    assert "more characters; --full shows all" in out


def test_invoke_every_front_door(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doors = {
        "HTTP API (payload 2.0)": (FrontDoor("v2", stage="Prod"), "/Prod/cookies"),
        "Function URL (payload 2.0)": (FrontDoor("url"), "/cookies"),
        "ALB target group, multi-value headers": (FrontDoor("alb", multi_value_headers=True), "/cookies"),
    }
    for name, (door, path) in doors.items():
        event = write_event(tmp_path, http_event(path, door))
        status, out, _ = run_invoke(capsys, "local_app:build_app", event)
        assert status == 0
        assert f"event: {name}" in out
        assert "Set-Cookie: first=1; Path=/" in out and "Set-Cookie: second=2; Path=/" in out
    alb = write_event(tmp_path, http_event("/", FrontDoor("alb")))
    _, out, _ = run_invoke(capsys, "local_app:build_app", alb)
    assert "an ALB's limit is 1,000,000 bytes" in out


def test_invoke_a_ready_handler(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = write_event(tmp_path, http_event("/Prod/x"))
    status, out, _ = run_invoke(capsys, "local_app:plain_handler", event)
    assert status == 0 and "plain handler saw /x" in out


def test_invoke_gzip_body_is_decoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = gzip.compress(b"hello " * 100)
    response = {
        "statusCode": 200,
        "headers": {"Content-Type": "text/plain", "Content-Encoding": "gzip"},
        "body": __import__("base64").b64encode(body).decode(),
        "isBase64Encoded": True,
    }
    module = tmp_path / "gzip_handler.py"
    module.write_text(f"def handler(event, context):\n    return {response!r}\n")
    event = write_event(tmp_path, http_event("/Prod/"))
    status = cli.main(["invoke", "--app-dir", str(tmp_path), "gzip_handler:handler", event])
    out = capsys.readouterr().out
    assert status == 0
    assert f"gzip-decoded from {len(body):,} bytes" in out
    assert "hello hello" in out


def test_invoke_warmup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = write_event(tmp_path, {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
    status, out, _ = run_invoke(capsys, "local_app:build_app", event)
    assert status == 0
    assert "not an HTTP request" in out and '"warmed"' in out


def test_invoke_oversized_response_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = write_event(tmp_path, http_event("/Prod/big", query_string="size=5000000"))
    status, out, _ = run_invoke(capsys, "local_app:build_app", event)
    # The handler itself refuses it with a clear 500 rather than letting Lambda fail.
    assert status == 1
    assert "status: 500" in out


def test_invoke_5xx_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = write_event(tmp_path, http_event("/Prod/boom"))
    status, out, _ = run_invoke(capsys, "local_app:build_app", event)
    assert status == 1 and "status: 500 Internal Server Error" in out


def test_invoke_raw_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = write_event(tmp_path, http_event("/Prod/health"))
    status, out, _ = run_invoke(capsys, "local_app:build_app", event, "--json")
    assert status == 0
    assert json.loads(out)["body"] == '{"status":"ok"}'


def test_invoke_json_exits_1_where_aws_would_not_deliver(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(tmp_path, http_event("/Prod/boom"))
    status, out, _ = run_invoke(capsys, "local_app:build_app", event, "--json")
    assert status == 1
    assert json.loads(out)["statusCode"] == 500


def test_invoke_a_handler_that_raises_shows_its_traceback_and_the_front_door_s_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = write_event(tmp_path, http_event("/Prod/"))
    status, out, err = run_invoke(capsys, "local_app:failing_handler", event)
    assert status == 1
    assert "Traceback" in err and "the hand-written handler failed" in err
    assert "the handler raised RuntimeError; REST API (payload 1.0)" in out and "answers 502" in out


def test_invoke_a_payload_2_0_handler_may_return_a_plain_value(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_invoke(capsys, "local_app:value_handler", "--payload", "v2", "--path", "/x")
    assert status == 0
    assert "status: 200" in out and '"just a string"' in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "holds a JSON list"),
        ('{"Records": [{"eventSource": "aws:sqs"}]}', "dash_lambda handles HTTP events"),
    ],
)
def test_invoke_bad_events_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "event.json"
    path.write_text(content)
    status, _, err = run_invoke(capsys, "local_app:build_app", str(path))
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("dash-lambda: error: ") and message in err


def test_invoke_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_invoke(capsys, "local_app:build_app", "no-such-event.json")
    assert status == 1 and "cannot read event file 'no-such-event.json'" in err


def test_invoke_reads_stdin(tmp_path: Path) -> None:
    event = json.dumps(http_event("/Prod/health"))
    result = subprocess.run(
        [sys.executable, "-m", "dash_lambda", "invoke", "--app-dir", str(APPS), "local_app:build_app", "-"],
        input=event,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert '{"status":"ok"}' in result.stdout


# ------------------------------------------------------- invoke, request flags


def echoed(out: str) -> dict[str, Any]:
    """The JSON body ``local_app``'s ``/echo`` route answered, from ``invoke``'s report."""
    body = out.split("bytes:\n", 1)[1].split("\nsize: ", 1)[0]
    data: dict[str, Any] = json.loads(body)
    return data


def test_invoke_builds_the_event_from_flags_through_the_chosen_front_door(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run_invoke(
        capsys, "local_app:build_app", "--stage", "Prod", "--path", "/echo", "--method", "put",
        "--query", "a=1&b=x%20y", "--query", "a=2", "--header", "X-Test: yes", "--body", '{"k": 1}',
    )  # fmt: skip
    assert status == 0, out
    assert out.startswith("event: REST API (payload 1.0), stage Prod, PUT /Prod/echo?a=1&b=x%20y&a=2\n")
    seen = echoed(out)
    assert (seen["method"], seen["path"]) == ("PUT", "/echo")
    assert seen["query"] == [["a", "1"], ["a", "2"], ["b", "x y"]]
    assert seen["headers"]["x-test"] == "yes"
    assert seen["headers"]["content-type"] == "application/json"
    assert json.loads(base64.b64decode(seen["body_b64"])) == {"k": 1}


@pytest.mark.parametrize(
    ("flags", "first_line", "app_path"),
    [
        (
            ["--payload", "v2", "--stage", "Prod", "--path", "/Prod/echo"],
            "HTTP API (payload 2.0), stage Prod, GET /Prod/echo",
            "/echo",
        ),
        (
            ["--payload", "v1", "--base-path", "dash", "--path", "/echo"],
            "REST API (payload 1.0) via a custom domain, base path /dash, GET /dash/echo",
            "/echo",
        ),
        (["--payload", "url", "--path", "/echo?x=1"], "Function URL (payload 2.0), GET /echo?x=1", "/echo"),
        (
            ["--payload", "alb", "--multi-value-headers", "--path", "/echo"],
            "ALB target group, multi-value headers, GET /echo",
            "/echo",
        ),
    ],
)
def test_invoke_flags_reach_every_front_door(
    capsys: pytest.CaptureFixture[str], flags: list[str], first_line: str, app_path: str
) -> None:
    status, out, _ = run_invoke(capsys, "local_app:build_app", *flags)
    assert status == 0, out
    assert out.startswith(f"event: {first_line}\n")
    assert echoed(out)["path"] == app_path


def test_invoke_without_event_or_path_requests_the_prefix_root(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_invoke(capsys, "local_app:build_app", "--stage", "Prod")
    assert status == 0
    assert out.startswith("event: REST API (payload 1.0), stage Prod, GET /Prod/\n")
    assert "<title>Local Server Test</title>" in out


def test_invoke_body_from_a_file_is_posted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "body.txt"
    body.write_text("from a file")
    status, out, _ = run_invoke(
        capsys,
        "local_app:build_app",
        "--path",
        "/echo",
        "--body",
        f"@{body}",
        "--header",
        "Content-Type: text/plain",
    )
    assert status == 0
    seen = echoed(out)
    assert seen["method"] == "POST" and seen["headers"]["content-type"] == "text/plain"
    assert base64.b64decode(seen["body_b64"]) == b"from a file"
    status, _, err = run_invoke(capsys, "local_app:build_app", "--body", f"@{tmp_path / 'missing'}")
    assert status == 1 and "cannot read --body file" in err


# ------------------------------------------------- an existing project, as is

PROJECT = APPS / "existing_project"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as a user types it, in its own process (the project's module is named ``app``)."""
    return subprocess.run(
        [sys.executable, "-m", "dash_lambda", *args], capture_output=True, text=True, timeout=120
    )


def test_invoke_an_existing_dash_app_under_a_stage_with_payload_2() -> None:
    result = run_cli(
        "invoke",
        "--app-dir",
        str(PROJECT),
        "app:app",
        "--payload",
        "v2",
        "--stage",
        "Prod",
        "--path",
        "/Prod/analytics",
        "--full",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("event: HTTP API (payload 2.0), stage Prod, GET /Prod/analytics\n")
    assert "status: 200 OK" in result.stdout
    assert '"requests_pathname_prefix":"\\u002fProd\\u002f"' in result.stdout
    moved = run_cli("invoke", "--app-dir", str(PROJECT), "app:app", "--base-path", "dash", "--path", "/stats")
    assert "status: 301" in moved.stdout and "Location: /dash/analytics" in moved.stdout


def test_the_flask_server_of_a_dash_app_is_refused_in_one_line_naming_the_fix() -> None:
    for command in (["invoke"], ["serve", "--no-reload", "--port", "0"]):
        result = run_cli(*command, "--app-dir", str(PROJECT), "app:server")
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("dash-lambda: error: app:server: got the Flask server of a Dash app")
        assert "pass the Dash app itself" in result.stderr
