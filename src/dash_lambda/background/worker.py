"""Running a job in the invocation its job event started.

The handler hands every job event here.  In order: the event's shape, the
manager that owns its store, the signature (a forged event stops here), the
claim (a duplicate delivery or a replay stops here), the job document (the
callback and its arguments: only ever from the store), then the callback,
with Dash's callback context, ``current_event()`` / ``current_context()``
and a watchdog that marks the job failed shortly before the invocation's
own timeout.  Progress and ``set_props`` reports write the status and check
for a cancel, which stops the callback by raising :class:`JobStopped`.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from dash.background_callback.managers import BaseBackgroundCallbackManager

from ..invocation import Invocation, enter, leave
from .events import JobEvent, JobEventRefused, parse_job_event
from .manager import JobFunction, LambdaManager
from .records import CANCELLED, DONE, ERROR, RUNNING, JobRecords, parse_job_id

logger = logging.getLogger("dash_lambda")

Prepare = Callable[[str], object]
#: Without a Lambda context (a hand-made call), a job may run as long as Lambda allows.
_NO_CONTEXT_SECONDS = 900.0


class JobStopped(BaseException):
    """Raised inside a job at a progress report once it was cancelled or ran out of time.

    A ``BaseException`` so that a callback's own ``except Exception`` does not
    swallow it and carry on.
    """


def run_job_event(event: dict[str, Any], context: Any, prepare: Prepare | None) -> dict[str, Any]:
    """Run the job ``event`` names; ``prepare(prefix)`` builds and activates the app it belongs to.

    Raises :class:`~dash_lambda.background.JobEventRefused` for events this
    deployment did not issue; every other failure is logged and, where
    possible, recorded for the job's poll.
    """
    parsed = parse_job_event(event)
    request_id = str(getattr(context, "aws_request_id", "?"))
    verified = False
    manager = _find_manager(parsed.store)
    if manager is not None:  # a warm sandbox: check the signature before anything else
        if not _verify(parsed, manager, request_id):
            return {"dash_lambda_job": parsed.job, "state": "failed"}
        verified = True
    if prepare is not None:
        # Build (or make current) the app the job belongs to; a manager made in
        # the app builder exists only then.  Unverified, this happens only in a
        # sandbox that has not built that app yet, and an HTTP request for the
        # prefix would build it just the same.
        try:
            prepare(parsed.prefix)
        except Exception:
            logger.exception(
                "dash_lambda: building the app for %s failed (request id %s)", parsed.prefix, request_id
            )
            return {"dash_lambda_job": parsed.job, "state": "failed"}
        manager = _find_manager(parsed.store) or manager
    if manager is None:
        raise JobEventRefused(f"dash_lambda refused a job event: no LambdaManager here uses {parsed.store}")
    if not verified and not _verify(parsed, manager, request_id):
        return {"dash_lambda_job": parsed.job, "state": "failed"}
    ids = parse_job_id(parsed.job)
    if ids is None:  # signed by us, so never; but a bad id must not reach the store
        raise JobEventRefused(f"dash_lambda refused a job event: {parsed.job!r} is not a job id")
    key, run = ids
    try:
        return _Job(manager, key, run, context, request_id).run(event)
    except Exception:
        # The store failed us (S3 unreachable, access denied): nothing more can be
        # recorded, and the job's poll will end at its deadline.
        logger.exception("dash_lambda: background job %s failed (request id %s)", parsed.job[:12], request_id)
        return {"dash_lambda_job": parsed.job, "state": "failed"}


def _verify(parsed: JobEvent, manager: LambdaManager, request_id: str) -> bool:
    """True if the event was signed with the store's secret; False (logged) if the store is unreachable.

    Raises :class:`JobEventRefused` for any other signature.
    """
    try:
        secret = manager.records.secret()
    except Exception:
        logger.exception(
            "dash_lambda: cannot read the secret from %s (request id %s)", parsed.store, request_id
        )
        return False
    if not parsed.verify(secret):
        logger.error(
            "dash_lambda: refused a job event whose signature does not match this deployment's secret "
            "(request id %s); nothing was run",
            request_id,
        )
        raise JobEventRefused("dash_lambda refused a job event: its signature does not match this deployment")
    return True


def _find_manager(location: str) -> LambdaManager | None:
    for manager in reversed(BaseBackgroundCallbackManager.managers):
        if isinstance(manager, LambdaManager) and manager.store.location == location:
            return manager
    return None


class _Job:
    """One run of one job in this invocation."""

    def __init__(self, manager: LambdaManager, key: str, run: str, context: Any, request_id: str) -> None:
        self.manager = manager
        self.records: JobRecords = manager.records
        self.key = key
        self.run_id = run
        self.context = context
        self.request_id = request_id
        self.name = f"{key[:12]}-{run[:8]}"

    def _answer(self, state: str) -> dict[str, Any]:
        return {"dash_lambda_job": f"{self.key}-{self.run_id}", "state": state}

    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        records, key, run = self.records, self.key, self.run_id
        if not records.claim(key, run, f"the job's invocation, request id {self.request_id}"):
            logger.warning(
                "dash_lambda: background job %s was already claimed (a repeated delivery, or its poll "
                "gave up waiting for it); not running it again (request id %s)",
                self.name,
                self.request_id,
            )
            return self._answer("skipped")
        job, status = records.job(key), records.status(key)
        if job is None or status is None or status.get("run") != run:
            logger.warning("dash_lambda: background job %s is gone from the store; nothing to run", self.name)
            return self._answer("skipped")
        records.drop_job(key)
        if records.cancelled(key, run):
            records.write_status(key, {**status, "state": CANCELLED, "finished": time.time()})
            logger.info("dash_lambda: background job %s was cancelled before it started", self.name)
            return self._answer(CANCELLED)
        remaining = _remaining_seconds(self.context)
        now = time.time()
        status.update(
            state=RUNNING,
            started=now,
            deadline=now + remaining,
            request_id=self.request_id,
            progress=None,
            progress_seq=0,
            props=[],
            seq=0,
        )
        reporter = _Reporter(records, key, run, status)
        try:
            reporter.write()
            function = self._function(job)
        except Exception as error:
            logger.exception(
                "dash_lambda: background job %s could not start (request id %s)", self.name, self.request_id
            )
            reporter.finish(ERROR, error={"msg": str(error), "tb": traceback.format_exc()})
            return self._answer(ERROR)
        watchdog = threading.Timer(
            max(0.0, remaining - self.manager.time_margin), reporter.time_out, args=(remaining,)
        )
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._call(function, job, event, reporter)
        finally:
            watchdog.cancel()

    def _function(self, job: dict[str, Any]) -> JobFunction:
        function = self.manager.func_registry.get(job.get("fn"))
        if not isinstance(function, JobFunction):
            raise LookupError(
                "this callback is not registered in the function that ran the job; was the code "
                "changed between starting the job and running it?"
            )
        return function

    def _call(
        self, function: JobFunction, job: dict[str, Any], event: dict[str, Any], reporter: _Reporter
    ) -> dict[str, Any]:
        from dash._callback_context import context_value
        from dash._utils import AttributeDict
        from dash.background_callback._proxy_set_props import ProxySetProps
        from dash.exceptions import PreventUpdate

        def invoke() -> Any:
            callback_context = AttributeDict(**(job.get("context") or {}))
            callback_context.ignore_register_page = False
            callback_context.updated_props = ProxySetProps(reporter.set_props)  # type: ignore[no-untyped-call]
            context_value.set(callback_context)
            token = enter(Invocation(job.get("event") or event, self.context))
            try:
                return _apply(function, job.get("args"), reporter.progress)
            finally:
                leave(token)

        try:
            result = contextvars.copy_context().run(invoke)
        except JobStopped:
            if reporter.stopped == CANCELLED:
                # Left for the next poll to see (and clear): it may have read "running" just now.
                reporter.finish(CANCELLED)
                logger.info("dash_lambda: background job %s stopped: cancelled", self.name)
                return self._answer(CANCELLED)
            logger.error(
                "dash_lambda: background job %s stopped: out of time (request id %s)",
                self.name,
                self.request_id,
            )
            return self._answer(ERROR)
        except PreventUpdate:
            reporter.finish(DONE, no_update=True)
            return self._answer(DONE)
        except BaseException as error:  # a job must not take the sandbox down with it
            logger.exception(
                "dash_lambda: background job %s raised (request id %s)", self.name, self.request_id
            )
            reporter.finish(
                ERROR, error={"msg": str(error) or type(error).__name__, "tb": traceback.format_exc()}
            )
            return self._answer(ERROR)
        try:
            finished = reporter.finish(DONE, result=result)
        except TypeError as error:
            logger.error(
                "dash_lambda: background job %s returned a value that is not JSON: %s", self.name, error
            )
            reporter.finish(
                ERROR, error={"msg": f"the callback's return value is not JSON: {error}", "tb": ""}
            )
            return self._answer(ERROR)
        if not finished:
            logger.warning(
                "dash_lambda: background job %s finished after its deadline; result dropped", self.name
            )
            return self._answer(ERROR)
        return self._answer(DONE)


def _apply(function: JobFunction, args: Any, progress: Callable[[Any], None]) -> Any:
    """Call the callback the way Dash's own managers do; run a coroutine to its end."""
    leading = [progress] if function.progress else []
    if isinstance(args, dict):
        result = function.fn(*leading, **args)
    elif isinstance(args, list | tuple):
        result = function.fn(*leading, *args)
    else:
        result = function.fn(*leading, args)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return result


def _remaining_seconds(context: Any) -> float:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        try:
            return max(0.0, float(remaining()) / 1000)
        except (TypeError, ValueError):
            pass
    return _NO_CONTEXT_SECONDS


class _Reporter:
    """The running job's status document: progress, set_props and the end, written under a lock.

    The job's thread and the watchdog's both write; whichever finishes first
    wins, and a result that arrives after the watchdog marked the job failed
    is dropped rather than overwriting the error a poll may already show.
    """

    def __init__(self, records: JobRecords, key: str, run: str, status: dict[str, Any]) -> None:
        self.records = records
        self.key = key
        self.run = run
        self.status = status
        self.stopped: str | None = None
        self.finished = False
        self._lock = threading.Lock()

    def write(self) -> None:
        self.records.write_status(self.key, self.status)

    def progress(self, value: Any) -> None:
        """The ``set_progress`` a callback with ``progress=`` receives."""
        self._check()
        with self._lock:
            self._ensure_open()
            seq = self.status["seq"] + 1
            values = list(value) if isinstance(value, list | tuple) else [value]
            self._commit({**self.status, "seq": seq, "progress": values, "progress_seq": seq}, "set_progress")

    def set_props(self, component_id: str | dict[str, Any], props: dict[str, Any]) -> None:
        """Receives ``dash.set_props`` calls (through Dash's ``ProxySetProps``).

        One entry per component, its props merged, the latest last: a poll
        applies what came after the last it saw, and a job that updates a
        figure 200 times keeps one figure in its status, not 200.
        """
        self._check()
        with self._lock:
            self._ensure_open()
            seq = self.status["seq"] + 1
            earlier: dict[str, Any] = {}
            entries = []
            for entry in self.status["props"]:
                if entry[1] == component_id:
                    earlier = entry[2]
                else:
                    entries.append(entry)
            entries.append([seq, component_id, {**earlier, **props}])
            self._commit({**self.status, "seq": seq, "props": entries}, "set_props")

    def _commit(self, status: dict[str, Any], call: str) -> None:
        """Write ``status`` and make it the job's; one that cannot be written leaves the last one.

        So a value that is not JSON fails the ``call`` that passed it, and
        the job's error can still be recorded.
        """
        try:
            self.records.write_status(self.key, status)
        except (TypeError, ValueError) as error:  # not JSON: an object, a circular reference
            raise TypeError(f"{call} was given a value that is not JSON: {error}") from None
        self.status = status

    def _ensure_open(self) -> None:
        if self.finished:
            raise JobStopped(self.stopped or "finished")

    def _check(self) -> None:
        if self.stopped is None and self.records.cancelled(self.key, self.run):
            self.stopped = CANCELLED
        if self.stopped is not None:
            raise JobStopped(self.stopped)

    def finish(self, state: str, **fields: Any) -> bool:
        """Record the end; False if the job had already ended (timed out or cancelled)."""
        with self._lock:
            if self.finished:
                return False
            final = {**self.status, **fields, "state": state, "finished": time.time()}
            self.records.write_status(self.key, final)  # raises TypeError for a value that is not JSON
            self.status = final
            self.finished = True
            return True

    def time_out(self, seconds: float) -> None:
        """The watchdog: mark the job failed before Lambda ends the invocation without a word."""
        message = (
            f"the background job ran out of time: the function's timeout left it {seconds:.0f} s; "
            "raise the function's Timeout (up to 900 s) or make the job shorter"
        )
        try:
            if self.finish(ERROR, error={"msg": message, "tb": ""}):
                logger.error("dash_lambda: background job %s: %s", self.key[:12], message)
        except Exception:
            logger.exception(
                "dash_lambda: could not record that background job %s ran out of time", self.key[:12]
            )
        self.stopped = "timeout"
