"""What differs for the async test flavour. ``scripts/generate_sync.py`` maps imports of it to ``flavour_sync``."""

from collections.abc import Awaitable, Callable
from typing import Any

import anyio

__all__ = ("HANDLER", "eventually", "gather")

HANDLER: dict[str, Any] = {}
"""Extra route-handler options: none for async handlers."""


async def gather(function: Callable[[int], Awaitable[Any]], count: int) -> list[Any]:
    """Run ``function(0) … function(count - 1)`` concurrently and return their results in order."""
    results: list[Any] = [None] * count

    async def one(index: int) -> None:
        results[index] = await function(index)

    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(one, index)
    return results


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; return its last value."""
    with anyio.move_on_after(timeout):
        while not predicate():
            await anyio.sleep(0.01)
    return predicate()
