"""A config's pool for code that runs outside the app's lifespan (the store, the channels backend).

Inside a running app the plugin's lifespan owns the pool. Outside one (a ``litestar sessions`` command under
``anyio.run``, a script, a test), ``PoolUse`` opens the pool for the operations that need it and closes it after the
last. Every ``PoolUse`` of one config shares that hold: two stores and a channels backend on one config, busy at their
own pace, use one pool, and it is closed when the last of them is done, never under another's operation.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio

from litestar_sqlspec._async import close_pool_async, open_pool_async
from litestar_sqlspec._sync import close_pool_sync, open_pool_sync

__all__ = ("PoolUse",)


class _Hold:
    """A pool this package opened outside an app, and how many operations use it."""

    __slots__ = ("closed", "closing", "failed", "opened", "users")

    def __init__(self) -> None:
        self.users = 1  # its opener
        self.opened = anyio.Event()
        self.failed = False
        self.closing = False
        self.closed = anyio.Event()


# id(config) -> the hold on its pool, from the opening until the closing is done (while anyone uses it: no config is
# kept alive by this table, and configs that cannot be weakly referenced are covered too)
_HOLDS: dict[int, _Hold] = {}


class PoolUse:
    """How the operations of one store or channels backend on ``config`` get at its pool."""

    __slots__ = ("_close", "_open", "_run", "config")

    def __init__(self, config: Any, run: Callable[..., Awaitable[Any]]) -> None:
        self.config = config
        self._run = run
        self._open: Any = open_pool_async if config.is_async else open_pool_sync
        self._close: Any = close_pool_async if config.is_async else close_pool_sync

    def ready(self) -> bool:
        """Whether operations can use the config as it is: the app's pool is open (or it has none to open)."""
        config = self.config
        if not config.supports_connection_pooling:
            return True
        return config.connection_instance is not None and id(config) not in _HOLDS

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Keep the config's pool open (opening it if nobody has) while the block runs."""
        if not self.config.supports_connection_pooling:
            yield
            return
        hold = await self._join()
        try:
            yield
        finally:
            if hold is not None:
                await self._leave(hold)

    async def _join(self) -> _Hold | None:
        # The hold this block is counted in, or None for the app's own pool (or one opened by its owner).
        config = self.config
        while True:
            hold = _HOLDS.get(id(config))
            if hold is None:
                if config.connection_instance is not None:
                    return None
                return await self._open_held()
            if hold.closing:  # the last user is closing it: wait, then open anew
                await hold.closed.wait()
                continue
            hold.users += 1
            try:
                await hold.opened.wait()
            except BaseException:
                await self._leave(hold)
                raise
            if not hold.failed:
                return hold
            hold.users -= 1  # its opening failed: try ours, and report our own error if it fails too

    async def _open_held(self) -> _Hold:
        # The app's startup opening, warm-up included: operations that open aiosqlite connections at once while
        # others write leak sqlspec 0.69's handled "database is locked" (see pool_facts).
        hold = _HOLDS[id(self.config)] = _Hold()
        try:
            await self._run(self._open, self.config)
        except BaseException:
            hold.failed = True
            del _HOLDS[id(self.config)]
            raise
        finally:
            hold.opened.set()
        return hold

    async def _leave(self, hold: _Hold) -> None:
        hold.users -= 1
        if hold.users or hold.failed:
            return
        hold.closing = True
        with anyio.CancelScope(shield=True):
            try:
                await self._run(self._close, self.config)
            finally:
                del _HOLDS[id(self.config)]
                hold.closed.set()
