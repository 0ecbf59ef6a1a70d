"""The sync ``provide_request_*`` accessors: the request's lease from sync code, on the event loop or in a thread."""

import asyncio
import warnings
from typing import Any

from litestar.exceptions import LitestarWarning
from litestar.types import Scope
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec._runtime import LOOP_KEY, ConfigRuntime, request_slots

__all__ = ("SyncCallOnEventLoopWarning", "sync_lease")


class SyncCallOnEventLoopWarning(LitestarWarning):
    """A sync ``provide_request_*`` call checked a sync config's connection out on the event loop, blocking it.

    Emitted once per config. From async code (async guards, middleware, handlers), ``await
    plugin.provide_request_session_async(...)`` (or ``provide_request_connection_async``) checks the connection out
    without blocking the loop.
    """


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def sync_lease(runtime: ConfigRuntime, scope: Scope, warned: set[ConfigRuntime]) -> Any:
    """The request's lease for a sync call: the one it holds, else one checked out now (sync configs only).

    On the request's event loop the checkout blocks the loop (warned once per config, in ``warned``); in a worker
    thread it is scheduled on the loop, gated like any other, and the thread waits for it.
    """
    settings = runtime.settings
    slot = request_slots(scope, settings.label).get(settings.connection_key)
    if slot is not None and slot.lease is not None:
        return slot.lease
    if runtime.is_async:
        msg = f"{settings.label} is async: use `await plugin.provide_request_session_async(...)`"
        raise ImproperConfigurationError(msg)
    loop = scope["state"].get(LOOP_KEY)
    if loop is None:
        msg = f"{settings.label}: this request's event loop is unknown; is SQLSpecPlugin's middleware on?"
        raise ImproperConfigurationError(msg)
    if _running_loop() is loop:
        # As Litestar does for a sync callable without sync_to_thread: run it, and warn. The call is sync, so it
        # gets its connection now, blocking, instead of failing the request.
        if runtime not in warned:
            warned.add(runtime)
            warnings.warn(
                f"{settings.label}: a sync provide_request_* call on the event loop checks the request's connection "
                "out there, blocking the loop (as its queries will); from async code use `await "
                "plugin.provide_request_session_async(...)` or `await plugin.provide_request_connection_async(...)`",
                SyncCallOnEventLoopWarning,
                stacklevel=4,  # the caller of plugin.provide_request_*
            )
        return runtime.lease_blocking(scope)
    # A worker thread (or another thread's loop): the checkout runs on the request's loop; this thread waits for it.
    return asyncio.run_coroutine_threadsafe(runtime.lease(scope), loop).result()
