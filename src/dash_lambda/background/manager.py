"""``LambdaManager``: Dash's background-callback manager for Lambda.

Dash drives a background callback in three kinds of request, and on Lambda
each may land in a different sandbox:

1. the first ``_dash-update-component`` calls :meth:`LambdaManager.call_job_fn`:
   the job's arguments go to the store and a signed job event to an
   asynchronous invocation of the function (:mod:`.worker` runs it there);
2. every poll calls ``get_progress``, ``get_result``, ``job_running`` and
   ``get_updated_props``; they read the job's status document once per
   request and remember what they already sent in the ``cursor``;
3. a cancel (or a newer run of the same callback) calls ``terminate_job``,
   which leaves a ``cancel`` document the job reads at its next progress report.

Deadlines in the status (a start-by time, the invocation's own timeout) let a
poll end with an error when a job's invocation never started or died,
instead of polling for ever.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from dash.background_callback.managers import BaseBackgroundCallbackManager

from ..errors import ConfigError
from ..invocation import _current
from .events import make_job_event
from .invokers import Invoker, default_invoker
from .records import (
    CANCELLED,
    DONE,
    ERROR,
    FINISHED,
    QUEUED,
    RUNNING,
    JobRecords,
    job_id,
    new_key,
    new_run,
    parse_job_id,
    valid_key,
)
from .store import DiskStore, JobStore, S3Store

logger = logging.getLogger("dash_lambda")

#: How long after its invocation's timeout a job that never reported back counts as dead.
DEADLINE_GRACE_SECONDS = 10.0
_NO_UPDATE = {"_dash_no_update": "_dash_no_update"}


class JobFunction:
    """What :meth:`LambdaManager.make_job_fn` registers: the callback and the key that finds it again.

    Another sandbox finds the callback by ``key`` (Dash's hash of the
    callback's id and source), which every sandbox of one deployment computes
    alike.
    """

    __slots__ = ("fn", "key", "progress")

    def __init__(self, fn: Any, progress: bool, key: str) -> None:
        self.fn = fn
        self.progress = progress
        self.key = key


class LambdaManager(BaseBackgroundCallbackManager):
    """Runs Dash background callbacks in asynchronous invocations of the same Lambda function.

    Use it wherever Dash takes a manager::

        from dash_lambda import LambdaManager
        app = Dash(__name__, background_callback_manager=LambdaManager(), **dash_kwargs)

    * ``store``: a :class:`~dash_lambda.S3Store` or :class:`~dash_lambda.DiskStore`
      (any :class:`~dash_lambda.JobStore`).  Default: the S3 bucket in
      ``DASH_LAMBDA_JOBS_BUCKET`` (the template's ``BackgroundCallbacks=true``
      sets it); outside Lambda without it, a folder on disk
      (``DASH_LAMBDA_JOBS_DIR`` or the system's temporary folder).
    * ``invoker``: what starts a job (an object with ``invoke(event)``).
      Default: the one ``dash-lambda serve`` installs, else an asynchronous
      Lambda ``Invoke`` of the running version on Lambda, else a thread.
    * ``cache_by``, ``expire``: as for Dash's ``DiskcacheManager``; a cached
      result is reused for ``expire`` seconds after it was computed (default:
      until the store's expiry removes it).
    * ``start_timeout``: seconds a job may wait for its invocation to start
      before its poll gives up with an error.
    * ``time_margin``: seconds before the function's timeout at which a job
      still running is marked failed (it is stopped at its next progress report).
    """

    def __init__(
        self,
        store: JobStore | None = None,
        invoker: Invoker | None = None,
        *,
        cache_by: Any = None,
        expire: float | None = None,
        start_timeout: float = 60.0,
        time_margin: float = 2.0,
    ) -> None:
        self.store: JobStore = store if store is not None else default_store()
        self.records = JobRecords(self.store)
        self.invoker = invoker
        self.expire = expire
        self.start_timeout = start_timeout
        self.time_margin = time_margin
        super().__init__(cache_by)  # type: ignore[no-untyped-call]

    def __repr__(self) -> str:
        return f"LambdaManager({self.store!r})"

    # ------------------------------------------------------------ starting

    def make_job_fn(self, fn: Any, progress: bool, key: Any = None) -> JobFunction:
        return JobFunction(fn, bool(progress), str(key))

    def build_cache_key(self, fn: Any, args: Any, cache_args_to_ignore: Any, triggered: Any = None) -> str:
        """Dash's key when ``cache_by`` asks for caching; otherwise a fresh random one per run.

        Without caching, Dash's key depends only on the arguments, so two
        users who start the same callback with the same inputs would share one
        result, and the first poll to read it would take it from the other.
        """
        if self.cache_by is None:
            return new_key()
        key: str = super().build_cache_key(  # type: ignore[no-untyped-call]
            fn, args, cache_args_to_ignore, triggered
        )
        return key

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> str:
        if not isinstance(job_fn, JobFunction):
            raise TypeError(f"LambdaManager cannot run {job_fn!r}: the callback was not registered with it")
        if not valid_key(key):
            key = new_key()
        now = time.time()
        if self.cache_by is not None:
            cached = self.records.status(key)
            if cached and cached.get("state") == DONE and self._fresh(cached, now):
                return job_id(key, str(cached.get("run")))  # the first poll finds the result
        run = new_run()
        prefix = _app_prefix()
        job = {
            "fn": job_fn.key,
            "args": args,
            "context": dict(context),
            "prefix": prefix,
            "event": _request_event(),
            "submitted": now,
        }
        status = {"state": QUEUED, "run": run, "submitted": now, "start_by": now + self.start_timeout}
        self.records.submit(key, job, status)
        event = make_job_event(
            self.records.secret(), store=self.store.location, job=job_id(key, run), prefix=prefix
        )
        try:
            (self.invoker or default_invoker()).invoke(event)
        except Exception as error:
            logger.exception(
                "dash_lambda: could not start background job %s (request id %s)", key, _request_id()
            )
            failure = {"msg": f"the background job could not be started: {error}", "tb": ""}
            self.records.write_status(key, {**status, "state": ERROR, "error": failure})
        return job_id(key, run)

    def _fresh(self, status: dict[str, Any], now: float) -> bool:
        return self.expire is None or now - float(status.get("finished", 0)) < self.expire

    # ------------------------------------------------------------- polling

    def get_progress(self, key: str) -> Any:
        view = self._view(key)
        status = view.status
        if not status or not status.get("progress_seq"):
            return None
        seq = int(status["progress_seq"])
        cursor = view.cursor(self.records, key)
        if int(cursor.get("progress_seq", 0)) >= seq:
            return None
        cursor["progress_seq"] = seq
        view.save_cursor(self.records, key)
        return status.get("progress")

    def result_ready(self, key: str) -> bool:
        status = self._view(key).status
        return bool(status and status.get("state") in (DONE, ERROR))

    def get_result(self, key: str, job: Any) -> Any:
        view = self._view(key)
        status = view.status
        if status is None or view.cleared:
            return self.UNDEFINED
        if status.get("state") == CANCELLED:
            self.records.clear(key, str(status.get("run")))  # the last poll: job_running says no
            view.cleared = True
            return self.UNDEFINED
        outcome = self._outcome(key, status, view.now)
        if outcome is self.UNDEFINED:
            return self.UNDEFINED
        if self.cache_by is None or (isinstance(outcome, dict) and "background_callback_error" in outcome):
            self.records.clear(key, str(status.get("run")))
            view.cleared = True
        return outcome

    def _outcome(self, key: str, status: dict[str, Any], now: float) -> Any:
        state = status.get("state")
        if state == DONE:
            return _NO_UPDATE if status.get("no_update") else status.get("result")
        if state == ERROR:
            return {"background_callback_error": status.get("error") or {"msg": "unknown error", "tb": ""}}
        if state == QUEUED and now > float(status.get("start_by", now)):
            # Whoever claims the run decides: the job itself, or this poll giving up on it.
            if not self.records.claim(key, str(status.get("run")), "a poll: the job did not start in time"):
                return self.UNDEFINED
            return _failure(
                f"the background job did not start within {self.start_timeout:.0f} s: its invocation was "
                "throttled, failed to start, or the function cannot invoke itself (see the function's log)"
            )
        if state == RUNNING and now > float(status.get("deadline", now)) + DEADLINE_GRACE_SECONDS:
            return _failure(
                "the background job ended without a result: its invocation timed out, ran out of memory "
                f"or crashed (request id {status.get('request_id')}; see the function's log)"
            )
        return self.UNDEFINED

    def job_running(self, job: Any) -> bool:
        parsed = parse_job_id(job)
        if parsed is None:
            return False
        key, _ = parsed
        view = self._view(key)
        status = view.status
        if status is None or status.get("state") in FINISHED:
            return False
        if view.is_cancelled(self.records, key, str(status.get("run"))):
            return False
        now = view.now
        return not (
            status.get("state") == RUNNING
            and now > float(status.get("deadline", now)) + DEADLINE_GRACE_SECONDS
        )

    def get_updated_props(self, key: str) -> dict[str, Any]:
        view = self._view(key)
        status = view.status
        entries = status.get("props") if status else None
        if not entries:
            return {}
        cursor = view.cursor(self.records, key)
        seen = int(cursor.get("props_seq", 0))
        fresh = [entry for entry in entries if int(entry[0]) > seen]
        if not fresh:
            return {}
        updates: dict[str, Any] = {}
        for _, component_id, props in fresh:
            updates[component_id] = {**updates.get(component_id, {}), **props}
        cursor["props_seq"] = int(fresh[-1][0])
        view.save_cursor(self.records, key)
        return updates

    # ---------------------------------------------------------- stopping

    def terminate_job(self, job: Any) -> None:
        parsed = parse_job_id(job)
        if parsed is None:
            return
        key, run = parsed
        view = self._view(key)
        status = view.status
        if status is None or status.get("state") in FINISHED or status.get("run") != run:
            return
        self.records.cancel(key, run)
        view.cancelled = True

    def terminate_unhealthy_job(self, job: Any) -> bool:
        return False  # a dead invocation shows as a missed deadline in its status instead

    def clear_cache_entry(self, key: str) -> None:
        if valid_key(key):
            status = self._view(key).status
            self.records.clear(key, str(status.get("run")) if status else None)

    def get_or_create_signing_secret(self, generate: Any) -> bytes:
        """Dash's secret for signing job handles: the store's, so every sandbox verifies every other's."""
        try:
            return self.records.secret()
        except Exception:
            logger.exception(
                "dash_lambda: could not read the signing secret from %s; Dash falls back to a secret of "
                "this sandbox alone, and polls that reach other sandboxes will stop",
                self.store.location,
            )
            raise

    # ------------------------------------------------------------ helpers

    def _view(self, key: str) -> _JobView:
        """The job's status as this request sees it, read once however often Dash asks."""
        if not valid_key(key):
            return _JobView(None)
        views = _request_views()
        view = views.get((id(self), key)) if views is not None else None
        if view is None:
            view = _JobView(self.records.status(key))
            if views is not None:
                views[(id(self), key)] = view
        return view


class _JobView:
    """One request's reads of one job, so Dash's four calls per poll cost one store read."""

    __slots__ = ("_cursor", "cancelled", "cleared", "now", "status")

    def __init__(self, status: dict[str, Any] | None) -> None:
        self.status = status
        #: The poll's one clock reading: Dash asks ``get_result`` and then
        #: ``job_running``, which must agree on whether a deadline has passed.
        self.now = time.time()
        self._cursor: dict[str, Any] | None = None
        self.cancelled: bool | None = None
        self.cleared = False

    def cursor(self, records: JobRecords, key: str) -> dict[str, Any]:
        if self._cursor is None:
            self._cursor = records.cursor(key)
            if self.status and self._cursor.get("run") != self.status.get("run"):
                self._cursor = {"run": self.status.get("run")}  # a new run of a cached key
        return self._cursor

    def save_cursor(self, records: JobRecords, key: str) -> None:
        if not self.cleared and self._cursor is not None:
            records.write_cursor(key, self._cursor)

    def is_cancelled(self, records: JobRecords, key: str, run: str) -> bool:
        if self.cancelled is None:
            self.cancelled = records.cancelled(key, run)
        return self.cancelled


def default_store() -> JobStore:
    """The bucket the template names; on Lambda without one, an error; elsewhere a folder on disk."""
    s3 = S3Store.from_environment()
    if s3 is not None:
        return s3
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        raise ConfigError(
            "LambdaManager needs a store every sandbox reaches: set DASH_LAMBDA_JOBS_BUCKET (the SAM "
            "template's BackgroundCallbacks=true does) or pass LambdaManager(store=S3Store(...))"
        )
    return DiskStore()


def _failure(message: str) -> dict[str, Any]:
    return {"background_callback_error": {"msg": message, "tb": ""}}


def _request_views() -> dict[tuple[int, str], _JobView] | None:
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover - Flask comes with Dash
        return None
    if not has_request_context():
        return None
    views: dict[tuple[int, str], _JobView] | None = g.get("_dash_lambda_jobs")
    if views is None:
        views = {}
        g._dash_lambda_jobs = views
    return views


def _app_prefix() -> str:
    """The external prefix of the app serving this request: the worker builds the same app."""
    try:
        from dash import get_app

        prefix = get_app().config.requests_pathname_prefix  # type: ignore[no-untyped-call]
    except Exception:
        return "/"
    return prefix if isinstance(prefix, str) and prefix else "/"


def _request_event() -> dict[str, Any] | None:
    """The HTTP event being served, for ``current_event()`` in the job; its body is the arguments."""
    invocation = _current.get()
    if invocation is None or not isinstance(invocation.event, dict):
        return None
    return {name: value for name, value in invocation.event.items() if name != "body"}


def _request_id() -> str:
    invocation = _current.get()
    return str(getattr(invocation.context, "aws_request_id", "?")) if invocation else "?"
