"""Pool creation and closing for one config."""

from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig

__all__ = ("close_pool_async", "open_pool_async")

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


async def open_pool_async(config: AsyncAnyConfig) -> Any:
    """Create the config's pool (``None`` for a config without a pool) and return it."""
    return await config.create_pool()


async def close_pool_async(config: AsyncAnyConfig) -> None:
    """Close the config's pool."""
    await config.close_pool()
