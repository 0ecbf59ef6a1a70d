"""Watching a channels backend from tests."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from litestar_sqlspec import SQLSpecChannelsBackend

__all__ = ("Receiver", "receiving_on", "wait_until_delivered")


class Receiver:
    """Collects what one backend's ``stream_events`` yields."""

    def __init__(self, backend: SQLSpecChannelsBackend) -> None:
        self.backend = backend
        self.events: list[tuple[str, bytes]] = []

    async def run(self) -> None:
        async for event in self.backend.stream_events():
            self.events.append(event)

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[str, bytes]]:
        with anyio.move_on_after(timeout):
            while len(self.events) < count:
                await anyio.sleep(0.005)
        return list(self.events)


def wait_until_delivered(portal: Any, backend: SQLSpecChannelsBackend, timeout: float = 10.0) -> None:
    """Block until ``backend`` (running in ``portal``'s loop) has read every message published so far.

    The backend delivers asynchronously: a websocket that joins before it has would get those messages twice (live,
    and from history), as with any broker.
    """
    newest = portal.call(backend._run, backend._ops.max_id)
    deadline = time.monotonic() + timeout
    while (backend._cursor or 0) < newest:
        assert time.monotonic() < deadline, "the backend did not read the published messages in time"
        time.sleep(0.01)


@asynccontextmanager
async def receiving_on(config: Any, **options: Any) -> AsyncIterator[tuple[SQLSpecChannelsBackend, Receiver]]:
    """A started backend on ``config`` (its pool opened first, as an app does) and a receiver of its events; after
    the block: stopped, its table dropped, the pool closed."""
    from tests.databases import close_pool, open_pool

    await open_pool(config)
    backend = SQLSpecChannelsBackend(config, **options)
    await backend.on_startup()
    receiver = Receiver(backend)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(receiver.run)
            yield backend, receiver
            group.cancel_scope.cancel()
    finally:
        await backend.on_shutdown()
        await backend.drop_table()
        await close_pool(config)
