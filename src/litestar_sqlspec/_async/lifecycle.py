"""Pool creation and closing for one config."""

from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig

__all__ = ("close_pool_async", "open_pool_async")

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


async def open_pool_async(config: AsyncAnyConfig) -> Any:
    """Create the config's pool (``None`` for a config without a pool) and return it.

    An unreachable database fails the application's startup, naming the config, instead of its first requests: a pool
    that opens in the background (psycopg_pool) is waited for, any other config opens one connection now. That first
    connection also does one-time setup alone, before requests race to do it: sqlspec's aiosqlite pool switches a new
    file to WAL, and connections that race for that switch leak a handled "database is locked" into the event loop
    thread's exception state (see the README).
    """
    pool = await config.create_pool()
    wait = getattr(pool, "wait", None)
    if wait is not None:
        await wait(timeout=getattr(pool, "timeout", 30.0))
    else:
        async with config.provide_connection():
            pass
    return pool


async def close_pool_async(config: AsyncAnyConfig) -> None:
    """Close the config's pool."""
    await config.close_pool()
