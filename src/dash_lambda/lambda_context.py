"""The Lambda context object: its type, and the stand-in the local loop passes.

The Python runtime hands every invocation a ``LambdaContext``; the adapter
only reads it (request ids in logs, time left for background jobs), so a
:class:`typing.Protocol` describes it and anything with the same attributes
(the runtime's object, :class:`LocalContext`, a test's own) fits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class LambdaContext(Protocol):
    """The attributes of the Python runtime's context object that handlers read."""

    @property
    def aws_request_id(self) -> str: ...
    @property
    def function_name(self) -> str: ...
    @property
    def function_version(self) -> str: ...
    @property
    def invoked_function_arn(self) -> str: ...
    @property
    def memory_limit_in_mb(self) -> Any: ...  # the runtime gives a string, stand-ins an int
    @property
    def log_group_name(self) -> str: ...
    @property
    def log_stream_name(self) -> str: ...

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass
class LocalContext:
    """A stand-in for the Lambda context, for the local server, ``invoke``, jobs run in threads and tests.

    The deadline counts down from construction, so
    :meth:`get_remaining_time_in_millis` behaves as on Lambda.
    """

    function_name: str = "dash-lambda-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    timeout_seconds: float = 30.0
    region: str = "us-east-1"
    account_id: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: _new_request_id())
    identity: None = None
    client_context: None = None
    _deadline: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        """The ARN Lambda would report for this function."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        """The CloudWatch log group Lambda would write to."""
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        """A log stream name in Lambda's format."""
        day = time.strftime("%Y/%m/%d", time.gmtime())
        return f"{day}/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function would time out."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _new_request_id() -> str:
    import uuid  # only stand-ins need it

    return str(uuid.uuid4())
