"""A config's pool for code that runs outside the app's lifespan (the store, the channels backend).

Inside a running app the plugin's lifespan owns the pool. Outside one (a ``litestar sessions`` command under
``anyio.run``, a script, a test), ``PoolUse`` opens the pool for the operations that need it and closes it after the
last, so that no pool outlives the event loop it was opened on.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio

from litestar_sqlspec._async import close_pool_async, open_pool_async
from litestar_sqlspec._sync import close_pool_sync, open_pool_sync

__all__ = ("PoolUse",)


class PoolUse:
    """Shared by the operations of one store or channels backend on one config."""

    __slots__ = ("_close", "_lock", "_open", "_owned", "_run", "_users", "config")

    def __init__(self, config: Any, run: Callable[..., Awaitable[Any]]) -> None:
        self.config = config
        self._run = run
        self._open: Any = open_pool_async if config.is_async else open_pool_sync
        self._close: Any = close_pool_async if config.is_async else close_pool_sync
        self._lock = anyio.Lock()
        self._users = 0
        self._owned = False

    def ready(self) -> bool:
        """Whether operations can use the config as it is: its pool is open (or it has none to open)."""
        config = self.config
        return not config.supports_connection_pooling or (config.connection_instance is not None and not self._owned)

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Keep the config's pool open (opening it if nobody has) while the block runs."""
        config = self.config
        if self.ready():
            yield
            return
        async with self._lock:
            if not self._owned and config.connection_instance is None:
                # The app's startup opening, warm-up included: operations that open aiosqlite connections at once
                # while others write leak sqlspec 0.69's handled "database is locked" (see pool_facts).
                await self._run(self._open, config)
                self._owned = True
            joined = self._owned
            if joined:
                self._users += 1
        try:
            yield
        finally:
            if joined:
                with anyio.CancelScope(shield=True):
                    async with self._lock:
                        self._users -= 1
                        if self._users == 0 and self._owned:
                            self._owned = False
                            await self._run(self._close, config)
