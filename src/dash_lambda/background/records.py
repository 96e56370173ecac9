"""The documents a background job leaves in the store, and who writes each.

Every job has a *key* (64 hex digits: Dash's cache key) and a *run* (32 hex
digits, one per start).  Under ``KEY/``:

========== ========================== ==========================================
name       written by                 holds
========== ========================== ==========================================
``job``    the request that starts it the callback, its arguments and context,
                                      the HTTP event; deleted once the job runs
``status`` the starter, then whoever  ``queued`` → ``running`` (progress and
           claimed the run            set_props with sequence numbers) → ``done``
                                      / ``error`` / ``cancelled``, with deadlines
``cursor`` the polls                  the progress and set_props already sent
``cancel`` cancel / a newer job       the run to stop
``claim-RUN`` create-if-absent        who runs it: the worker, or a poll that
                                      gave up waiting for it to start
========== ========================== ==========================================

Each document has one kind of writer, so no write can undo another's: the
worker never reads-modifies-writes what a poll wrote, and the reverse.
``secret`` (outside any key) is the deployment's signing secret.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from typing import Any

from .store import JobStore, StoreError

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
ERROR = "error"
CANCELLED = "cancelled"
#: States after which nothing changes.
FINISHED = frozenset({DONE, ERROR, CANCELLED})

_KEY = re.compile(r"[0-9a-f]{64}")
_RUN = re.compile(r"[0-9a-f]{32}")
_SECRET = "secret"


def new_key() -> str:
    return secrets.token_hex(32)


def new_run() -> str:
    return uuid.uuid4().hex


def job_id(key: str, run: str) -> str:
    """The job handle Dash hands the browser (and, in recent Dash versions, signs): ``KEY-RUN``."""
    return f"{key}-{run}"


def parse_job_id(job: object) -> tuple[str, str] | None:
    """(key, run) of a handle we issued, or None for anything else (a browser may send anything)."""
    if not isinstance(job, str):
        return None
    key, _, run = job.partition("-")
    return (key, run) if _KEY.fullmatch(key) and _RUN.fullmatch(run) else None


def valid_key(key: object) -> bool:
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def dumps(document: Any) -> bytes:
    """JSON as Dash sends it: plotly's encoder, so figures and numpy values survive."""
    from dash._utils import to_json

    text: str = to_json(document)  # type: ignore[no-untyped-call]
    return text.encode("utf-8")


def loads(data: bytes | None) -> Any:
    return None if data is None else json.loads(data)


class JobRecords:
    """Reading and writing one store's job documents (see the module docstring)."""

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def secret(self) -> bytes:
        """The deployment's secret: created once in the store by whichever sandbox comes first."""
        if self._secret is None:
            with self._lock:
                if self._secret is None:
                    stored = self.store.get(_SECRET)
                    if not stored:  # the first sandbox ever: create it, unless another just did
                        self.store.put_new(_SECRET, secrets.token_hex(32).encode("ascii"))
                        stored = self.store.get(_SECRET)
                    if not stored:
                        raise StoreError(f"the secret in {self.store.location} vanished")
                    self._secret = stored
        return self._secret

    def submit(self, key: str, job: dict[str, Any], status: dict[str, Any]) -> None:
        self.store.put(f"{key}/job", dumps(job))
        self.store.put(f"{key}/status", dumps(status))

    def job(self, key: str) -> dict[str, Any] | None:
        document = loads(self.store.get(f"{key}/job"))
        return document if isinstance(document, dict) else None

    def drop_job(self, key: str) -> None:
        self.store.delete([f"{key}/job"])

    def status(self, key: str) -> dict[str, Any] | None:
        document = loads(self.store.get(f"{key}/status"))
        return document if isinstance(document, dict) else None

    def write_status(self, key: str, status: dict[str, Any]) -> None:
        self.store.put(f"{key}/status", dumps(status))

    def cursor(self, key: str) -> dict[str, Any]:
        document = loads(self.store.get(f"{key}/cursor"))
        return document if isinstance(document, dict) else {}

    def write_cursor(self, key: str, cursor: dict[str, Any]) -> None:
        self.store.put(f"{key}/cursor", dumps(cursor))

    def cancel(self, key: str, run: str) -> None:
        self.store.put(f"{key}/cancel", dumps({"run": run}))

    def cancelled(self, key: str, run: str) -> bool:
        document = loads(self.store.get(f"{key}/cancel"))
        return isinstance(document, dict) and document.get("run") == run

    def claim(self, key: str, run: str, owner: str) -> bool:
        """Whether ``owner`` is the one to decide the fate of this run (first come, only one)."""
        return self.store.put_new(f"{key}/claim-{run}", dumps({"owner": owner}))

    def clear(self, key: str, run: str | None = None) -> None:
        names = [f"{key}/{name}" for name in ("job", "status", "cursor", "cancel")]
        if run:
            names.append(f"{key}/claim-{run}")
        self.store.delete(names)
