"""Pool creation and closing for one config."""

import contextlib
import logging
from contextlib import AsyncExitStack
from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig

from litestar_sqlspec._drivers import driver_for
from litestar_sqlspec.pool_facts import connections_at_startup
from litestar_sqlspec.settings import config_label

__all__ = ("close_pool_async", "open_pool_async", "replace_dead_connections_async")

logger = logging.getLogger("litestar_sqlspec")

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


async def open_pool_async(config: AsyncAnyConfig) -> Any:
    """Create the config's pool (``None`` for a config without a pool) and return it.

    An unreachable database fails the application's startup, naming the config, instead of its first requests: a pool
    that opens in the background (psycopg_pool) is waited for, any other config opens a connection now (an aiosqlite
    pool all of them, see ``connections_at_startup``), one after another, before requests race to open them. When that
    fails the pool is closed again: nothing of a failed opening stays on the config. Pool settings the package relies
    on (the driver entry's ``prepare_config``) are set first, where the config does not set them itself.
    """
    prepare = driver_for(config).prepare_config
    if prepare is not None:
        prepare(config)
    pool = await config.create_pool()
    try:
        wait = getattr(pool, "wait", None)
        if wait is not None:
            await wait(timeout=getattr(pool, "timeout", 30.0))
            return pool
        async with AsyncExitStack() as held:
            for _ in range(connections_at_startup(config)):
                await held.enter_async_context(config.provide_connection())
    except BaseException:
        with contextlib.suppress(Exception):  # the opening's own error is the one to report
            await config.close_pool()
        raise
    return pool


async def replace_dead_connections_async(config: AsyncAnyConfig) -> None:
    """After a connection was found dead, have the pool test its idle ones and replace the dead (psycopg_pool).

    When the server dropped one connection (a restart, a failover) it usually dropped all of them: checking now keeps
    the next operations from each finding a dead one. A failure to check is logged, never raised: the caller has a
    failure of its own to report.
    """
    learn = driver_for(config).idle_check
    check = learn(config.connection_instance) if learn is not None else None
    if check is None:
        return
    logger.warning("%s: a connection was lost; checking the pool's idle connections", config_label(config))
    try:
        await check()
    except Exception:
        logger.warning("%s: checking the pool's idle connections failed", config_label(config), exc_info=True)


async def close_pool_async(config: AsyncAnyConfig) -> None:
    """Close the config's pool."""
    await config.close_pool()
