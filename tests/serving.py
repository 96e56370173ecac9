"""Running ``dash-lambda serve`` as a user does, for the tests that need the real command.

Shared by the local-server, CDN, load, frontend and browser tests: start the
command in a subprocess, wait for the URL it announces, talk HTTP to it,
follow its output, stop it.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from _static_export import FRONTEND

TESTS = Path(__file__).resolve().parent

PAGE_LOAD = re.compile(
    r"page load of (\S+): (\d+) requests, (\d+) through the handler, (\d+) from the static export"
)


def free_port() -> int:
    """A port nothing listens on now, for the reloading server (which needs a number, not 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Served:
    """A ``dash-lambda serve`` subprocess and the URL it announced."""

    def __init__(self, process: subprocess.Popen[str], url: str, lines: list[str]) -> None:
        self.process, self.url, self.lines = process, url, lines

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        host, port = self.url.split("//")[1].split("/")[0].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return response.status, headers, response.read()
        finally:
            connection.close()


def start_serve(*args: str, cwd: Path = TESTS, timeout: float = 60) -> Served:
    """Start ``python -m dash_lambda serve ARGS`` and wait for its "open URL" line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "dash_lambda", "serve", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        match = re.search(r"open (http://\S+)", line)
        if match:
            return Served(process, match[1], lines)
    process.kill()
    raise AssertionError("dash-lambda serve did not announce a URL:\n" + "\n".join(lines))


def stop(served: Served) -> str:
    served.process.terminate()
    try:
        out, _ = served.process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        served.process.kill()
        out, _ = served.process.communicate()
    return "\n".join(served.lines) + "\n" + (out or "")


def run_serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dash_lambda", "serve", *args],
        cwd=TESTS,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Followed:
    """A ``dash-lambda serve`` whose output is read as it comes, so a test can wait for a line."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.lines = list(served.lines)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.served.process.stdout is not None
        for line in self.served.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str], count: int = 1, timeout: float = 30) -> list[re.Match[str]]:
        """The first ``count`` lines matching ``pattern``, once they have been printed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in map(pattern.search, list(self.lines)) if m]
            if len(found) >= count:
                return found[:count]
            time.sleep(0.05)
        raise AssertionError(f"no {count} lines matching {pattern.pattern}:\n" + "\n".join(self.lines))

    def stop(self) -> str:
        self.served.process.terminate()
        try:
            self.served.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.served.process.kill()
        self._reader.join(timeout=10)
        return "\n".join(self.lines)


def serve_static(export: Path, *args: str) -> Followed:
    """``dash-lambda serve --app-dir frontend dash_app:build_app --stage Prod --static EXPORT ARGS``."""
    served = start_serve(
        "--app-dir", str(FRONTEND), "dash_app:build_app", "--stage", "Prod", "--static", str(export),
        "--port", "0", "--no-reload", *args,
    )  # fmt: skip
    return Followed(served)
