"""The sync flavour's shim: what differs for sync configs, whose calls block.

Every blocking call of a sync driver runs in a worker thread, never on the event loop.
"""

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

__all__ = ("Lock", "run", "set_autocommit_sync", "sleep")

T = TypeVar("T")

Lock = threading.Lock
"""A lock for threads (twin of ``ALock``)."""

sleep = time.sleep
"""Sleep, blocking this thread (twin of ``asleep``)."""


async def run(function: Callable[..., T], /, *args: Any) -> T:
    """Run one database operation of a sync config in a worker thread."""
    return await anyio.to_thread.run_sync(function, *args)


def set_autocommit_sync(connection: Any, enabled: bool) -> bool | None:
    """Switch a psycopg connection's autocommit (no round trip); return the previous mode.

    ``None`` (and nothing changed) for connections without such a switch.
    """
    previous = getattr(connection, "autocommit", None)
    if not isinstance(previous, bool):
        return None
    connection.autocommit = enabled
    return previous
