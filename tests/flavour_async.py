"""What differs for the async test flavour. ``scripts/generate_sync.py`` maps imports of it to ``flavour_sync``."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import anyio
import httpx
from litestar import Litestar

__all__ = ("HANDLER", "eventually", "gather", "pause", "serve")

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


@asynccontextmanager
async def serve(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app`` (lifespan included) in this event loop and yield a client that calls it concurrently.

    Litestar's ``AsyncTestClient`` runs the app in a portal thread and blocks the caller's loop for each request,
    which would serialise concurrent requests; this does not.
    """
    transport = httpx.ASGITransport(app=cast("Any", app))  # Litestar's ASGI types are narrower than httpx's
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client:
        yield client


async def pause(seconds: float = 0.001) -> None:
    """Yield for ``seconds`` (in a handler: keeps its connection checked out a moment)."""
    await anyio.sleep(seconds)
