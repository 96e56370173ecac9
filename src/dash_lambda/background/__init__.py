"""Dash background callbacks on Lambda: jobs in asynchronous invocations of the same function.

* :mod:`.manager` — :class:`LambdaManager`, the manager Dash talks to;
* :mod:`.worker` — runs a job in the invocation its job event started;
* :mod:`.events` — the signed job event;
* :mod:`.records` — the job's documents in the store, and who writes each;
* :mod:`.store` — :class:`S3Store` (Lambda) and :class:`DiskStore` (local);
* :mod:`.invokers` — :class:`LambdaInvoker` (Lambda) and :class:`ThreadInvoker` (local).

The names are imported on first use, so the handler's check for job events
(:func:`.events.is_job_event`) costs apps without background callbacks nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .events import JobEventRefused as JobEventRefused
    from .events import is_job_event as is_job_event
    from .invokers import Invoker as Invoker
    from .invokers import LambdaInvoker as LambdaInvoker
    from .invokers import ThreadInvoker as ThreadInvoker
    from .invokers import set_default_invoker as set_default_invoker
    from .manager import LambdaManager as LambdaManager
    from .store import DiskStore as DiskStore
    from .store import JobStore as JobStore
    from .store import S3Store as S3Store
    from .store import StoreError as StoreError

_WHERE = {
    "DiskStore": "store",
    "Invoker": "invokers",
    "JobEventRefused": "events",
    "JobStore": "store",
    "LambdaInvoker": "invokers",
    "LambdaManager": "manager",
    "S3Store": "store",
    "StoreError": "store",
    "ThreadInvoker": "invokers",
    "is_job_event": "events",
    "set_default_invoker": "invokers",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
