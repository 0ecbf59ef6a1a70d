"""The async flavour's shim: what differs for async configs, which run on the event loop.

``scripts/generate_sync.py`` maps every import of this module in ``_async/`` to ``_compat_sync``, its twin.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

__all__ = ("ALock", "asleep", "pool_gate", "read_bytes_async", "run")

T = TypeVar("T")

ALock = anyio.Lock
"""A lock for tasks (its twin: ``threading.Lock``)."""


async def asleep(seconds: float) -> None:
    """Sleep without blocking the event loop (its twin: ``time.sleep``)."""
    await anyio.sleep(seconds)


async def run(function: Callable[..., Awaitable[T]], /, *args: Any) -> T:
    """Run one database operation of an async config: await it on the event loop."""
    return await function(*args)


def pool_gate(pool: Any, size: int) -> anyio.Semaphore:
    """The one gate of ``size`` checkouts at once that every user of ``pool`` in this package waits on.

    For pools that fail a checkout at once when every connection is out (its twin: a ``threading.BoundedSemaphore``).
    """
    gate: anyio.Semaphore | None = pool.__dict__.get(_GATE)
    if gate is None:
        gate = pool.__dict__[_GATE] = anyio.Semaphore(size)
    return gate


_GATE = "_litestar_sqlspec_gate"


async def read_bytes_async(value: Any) -> bytes:
    """A fetched binary value as bytes: a LOB is read; NULL (how Oracle stores an empty BLOB) is ``b""``."""
    if value is None:
        return b""
    read = getattr(value, "read", None)
    return bytes(await read() if read is not None else value)
