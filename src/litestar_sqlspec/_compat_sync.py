"""The sync flavour's shim: what differs for sync configs, whose calls block.

Every blocking call of a sync driver runs in a worker thread, never on the event loop.
"""

from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

__all__ = ("run",)

T = TypeVar("T")


async def run(function: Callable[..., T], /, *args: Any) -> T:
    """Run one database operation of a sync config in a worker thread."""
    return await anyio.to_thread.run_sync(function, *args)
