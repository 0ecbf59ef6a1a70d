"""What differs for the sync test flavour: sync handlers run in worker threads, concurrency comes from threads."""

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

__all__ = ("HANDLER", "eventually", "gather", "pause", "serve")

HANDLER: dict[str, Any] = {"sync_to_thread": True}
"""Extra route-handler options: sync handlers run in a worker thread."""


def gather(function: Callable[[int], Any], count: int) -> list[Any]:
    """Run ``function(0) … function(count - 1)`` concurrently in threads and return their results in order."""
    with ThreadPoolExecutor(max_workers=min(count, 64)) as pool:
        return list(pool.map(function, range(count)))


def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.01)
    return predicate()


@contextmanager
def serve(app: Litestar) -> Iterator[TestClient[Litestar]]:
    """Run ``app`` (lifespan included) in a portal thread and yield a client that threads may share."""
    with TestClient(app=app, timeout=60) as client:
        yield client


def pause(seconds: float = 0.001) -> None:
    """Sleep ``seconds`` (in a handler: keeps its connection checked out a moment)."""
    time.sleep(seconds)
