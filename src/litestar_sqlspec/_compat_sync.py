"""The sync flavour's shim: what differs for sync configs, whose calls block.

Every blocking call of a sync driver runs in a worker thread, never on the event loop.
"""

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

__all__ = ("Lock", "run", "sleep")

T = TypeVar("T")

Lock = threading.Lock
"""A lock for threads (twin of ``ALock``)."""

sleep = time.sleep
"""Sleep, blocking this thread (twin of ``asleep``)."""


async def run(function: Callable[..., T], /, *args: Any) -> T:
    """Run one database operation of a sync config in a worker thread."""
    return await anyio.to_thread.run_sync(function, *args)
