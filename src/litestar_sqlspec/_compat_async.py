"""The async flavour's shim: what differs for async configs, which run on the event loop.

``scripts/generate_sync.py`` maps every import of this module in ``_async/`` to ``_compat_sync``, its twin.
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ("run",)

T = TypeVar("T")


async def run(function: Callable[..., Awaitable[T]], /, *args: Any) -> T:
    """Run one database operation of an async config: await it on the event loop."""
    return await function(*args)
