"""Pool creation and closing for one config."""

from contextlib import AsyncExitStack
from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig

from litestar_sqlspec.pool_facts import connections_at_startup

__all__ = ("close_pool_async", "open_pool_async")

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


async def open_pool_async(config: AsyncAnyConfig) -> Any:
    """Create the config's pool (``None`` for a config without a pool) and return it.

    An unreachable database fails the application's startup, naming the config, instead of its first requests: a pool
    that opens in the background (psycopg_pool) is waited for, any other config opens a connection now (an aiosqlite
    pool all of them, see ``connections_at_startup``), one after another, before requests race to open them.
    """
    pool = await config.create_pool()
    wait = getattr(pool, "wait", None)
    if wait is not None:
        await wait(timeout=getattr(pool, "timeout", 30.0))
        return pool
    async with AsyncExitStack() as held:
        for _ in range(connections_at_startup(config)):
            await held.enter_async_context(config.provide_connection())
    return pool


async def close_pool_async(config: AsyncAnyConfig) -> None:
    """Close the config's pool."""
    await config.close_pool()
