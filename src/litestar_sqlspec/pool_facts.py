"""What the plugin knows about particular pools, kept out of the flavour layers."""

from typing import Any

__all__ = ("connections_at_startup",)

_AIOSQLITE_DEFAULT_POOL_SIZE = 5  # sqlspec's AiosqliteConfig: ``connection_config.get("pool_size") or 5``


def connections_at_startup(config: Any) -> int:
    """How many connections to open, one after another, when the app starts.

    One proves the database reachable. An async SQLite pool (aiosqlite) is filled: sqlspec 0.69 sets up each new
    connection in compiled code that, when it races another writer for a lock, leaves its handled "database is
    locked" as the event loop thread's current exception (see the README), so no connection is opened under load.
    """
    if config.is_async and config.supports_connection_pooling and str(config.statement_config.dialect) == "sqlite":
        size = config.connection_config.get("pool_size") or _AIOSQLITE_DEFAULT_POOL_SIZE
        return int(size)
    return 1
