"""The job event: how one invocation of the function asks another to run a background job.

It names the job and nothing else: the callback, its arguments and its
callback context are only ever read from the store, where the request that
started the job wrote them.  The event is also signed (HMAC-SHA256) with a
key derived from a secret kept in that store, which only this deployment's
role can read.  So a caller who may invoke the function but not read the
store cannot make it run anything: a forged event fails the signature check
before the store is touched for the job, and a replayed genuine one finds
its job already claimed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from ..errors import UnsupportedEventError

#: The top-level key that marks a job event.  No AWS service sends it.
JOB_EVENT_KEY = "dash_lambda_job"
_VERSION = 1
_FIELDS = ("v", "store", "job", "prefix")
_KEY_LABEL = b"dash-lambda job event v1"


class JobEventRefused(UnsupportedEventError):
    """A job event that this deployment did not issue (bad signature, unknown store, wrong shape).

    It derives from :class:`~dash_lambda.UnsupportedEventError`, the one
    exception the handler lets escape: the invocation fails visibly in the
    function's metrics and log, and nothing runs.
    """


def is_job_event(event: Mapping[str, Any]) -> bool:
    """Whether ``event`` claims to be a job event (before any check of its signature)."""
    return JOB_EVENT_KEY in event


def event_key(secret: bytes) -> bytes:
    """The signing key of job events, derived from the store's secret.

    Derived rather than the secret itself, so a job-event signature can never
    double as one of Dash's own handle signatures, which use the same secret.
    """
    return hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()


def make_job_event(secret: bytes, *, store: str, job: str, prefix: str) -> dict[str, Any]:
    """The signed event that runs ``job`` (``KEY-RUN``) from ``store`` in the app for ``prefix``."""
    body: dict[str, Any] = {"v": _VERSION, "store": store, "job": job, "prefix": prefix}
    body["sig"] = _signature(secret, body)
    return {JOB_EVENT_KEY: body}


class JobEvent:
    """The fields of a job event, before its signature is checked."""

    __slots__ = ("body", "job", "prefix", "signature", "store")

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.store: str = body["store"]
        self.job: str = body["job"]
        self.prefix: str = body["prefix"]
        self.signature: str = body["sig"]

    def verify(self, secret: bytes) -> bool:
        """Whether the signature was made with ``secret`` (constant-time comparison)."""
        return hmac.compare_digest(self.signature, _signature(secret, self.body))


def parse_job_event(event: Mapping[str, Any]) -> JobEvent:
    """Check the shape of a job event; raise :class:`JobEventRefused` if it is not one we issue."""
    body = event.get(JOB_EVENT_KEY)
    if not isinstance(body, dict) or set(event) != {JOB_EVENT_KEY}:
        raise JobEventRefused(
            "dash_lambda refused a job event: it does not have the shape this library sends"
        )
    if body.get("v") != _VERSION or set(body) != {*_FIELDS, "sig"}:
        raise JobEventRefused(
            f"dash_lambda refused a job event: version {body.get('v')!r} or fields "
            f"{sorted(map(str, body))} are not what this version of the library sends"
        )
    if not all(isinstance(body[name], str) for name in ("store", "job", "prefix", "sig")):
        raise JobEventRefused("dash_lambda refused a job event: its fields must be strings")
    return JobEvent(body)


def _signature(secret: bytes, body: Mapping[str, Any]) -> str:
    signed = json.dumps({name: body[name] for name in _FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(event_key(secret), signed.encode("utf-8"), hashlib.sha256).hexdigest()
