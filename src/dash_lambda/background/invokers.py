"""Starting a job: hand its event to another invocation of the same function.

An invoker is any object with ``invoke(event)``.  On Lambda it is
:class:`LambdaInvoker` (an asynchronous ``Invoke`` of the running version);
``dash-lambda serve`` installs a :class:`ThreadInvoker` that passes the event
to the same handler on a thread of its own, as another sandbox would; tests
and other hosts can pass their own.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from ..errors import DashLambdaError
from ..lambda_context import LambdaContext, LocalContext

logger = logging.getLogger("dash_lambda")

#: Lambda accepts at most 256 KB in an asynchronous invocation's payload.
ASYNC_PAYLOAD_LIMIT = 256 * 1024

Handler = Callable[[dict[str, Any], Any], Any]


@runtime_checkable
class Invoker(Protocol):
    """Delivers a job event to an invocation of the function, without waiting for it."""

    def invoke(self, event: dict[str, Any]) -> None: ...


class InvokeError(DashLambdaError, RuntimeError):
    """The job's invocation could not be started."""


class LambdaInvoker:
    """``lambda:Invoke`` with ``InvocationType=Event`` on this function, through boto3.

    ``function_name`` defaults to ``AWS_LAMBDA_FUNCTION_NAME`` and
    ``qualifier`` to ``AWS_LAMBDA_FUNCTION_VERSION`` (unless ``$LATEST``):
    the job runs in the very version that served the request, even while a
    deploy moves the alias.  The role needs ``lambda:InvokeFunction`` on the
    function and its versions (``FUNCTION_ARN`` and ``FUNCTION_ARN:*``).
    """

    def __init__(self, function_name: str | None = None, qualifier: str | None = None, *, client: Any = None):
        self.function_name = function_name
        self.qualifier = qualifier
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=5, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"}
            )
            self._client = boto3.client("lambda", config=config)
        return self._client

    def invoke(self, event: dict[str, Any]) -> None:
        name = self.function_name or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        if not name:
            raise InvokeError("no function to invoke: pass LambdaInvoker(function_name=...) outside Lambda")
        qualifier = self.qualifier
        if qualifier is None:
            version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "")
            qualifier = version if version and version != "$LATEST" else None
        payload = json.dumps(event, separators=(",", ":")).encode("utf-8")
        if len(payload) > ASYNC_PAYLOAD_LIMIT:  # job events carry ids only; this would be a bug
            raise InvokeError(f"a job event of {len(payload)} bytes is over Lambda's async limit")
        params: dict[str, Any] = {"FunctionName": name, "InvocationType": "Event", "Payload": payload}
        if qualifier:
            params["Qualifier"] = qualifier
        response = self.client.invoke(**params)
        if response.get("StatusCode") != 202:
            raise InvokeError(
                f"Lambda answered {response.get('StatusCode')} to an asynchronous Invoke of {name}"
            )


class ThreadInvoker:
    """Runs each job event through ``handler`` on a daemon thread, like another sandbox would.

    ``context_factory`` makes the Lambda context of each invocation; the
    default one counts down from ``timeout_seconds`` (Lambda's maximum,
    15 minutes, unless told otherwise).  Threads are daemons, so stopping
    the local server does not wait for running jobs, as a deploy would not.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        timeout_seconds: float = 900.0,
        context_factory: Callable[[], LambdaContext] | None = None,
    ) -> None:
        self.handler = handler
        self.timeout_seconds = timeout_seconds
        self.context_factory = context_factory or (lambda: LocalContext(timeout_seconds=self.timeout_seconds))
        self.threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def invoke(self, event: dict[str, Any]) -> None:
        thread = threading.Thread(target=self._run, args=(event,), name="dash-lambda-job", daemon=True)
        with self._lock:
            self.threads = [running for running in self.threads if running.is_alive()]
            self.threads.append(thread)
        thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the jobs started so far (for tests and orderly shutdowns)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in list(self.threads):
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    def _run(self, event: dict[str, Any]) -> None:
        context = self.context_factory()
        try:
            self.handler(event, context)
        except Exception:
            # Lambda would log the failed invocation the same way.
            logger.exception(
                "dash_lambda: the job invocation failed (request id %s)",
                getattr(context, "aws_request_id", "?"),
            )


_default: Invoker | None = None


def set_default_invoker(invoker: Invoker | None) -> None:
    """Make ``invoker`` the one managers use when none was given (``dash-lambda serve`` does)."""
    global _default
    _default = invoker


def default_invoker() -> Invoker:
    """The installed invoker; else Lambda's on Lambda; else threads running the job directly."""
    if _default is not None:
        return _default
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return LambdaInvoker()
    from .worker import run_job_event

    return ThreadInvoker(lambda event, context: run_job_event(event, context, None))
