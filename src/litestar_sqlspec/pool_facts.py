"""What the plugin knows about particular pools, kept out of the flavour layers."""

from typing import Any

__all__ = ("connections_at_startup", "worker_threads")

_AIOSQLITE_DEFAULT_POOL_SIZE = 5  # sqlspec's AiosqliteConfig: ``connection_config.get("pool_size") or 5``
_DEFAULT_WORKER_THREADS = 4


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


def worker_threads(config: Any, *, single_writer: bool) -> int:
    """How many threads should run a sync config's store or channels operations.

    An embedded database with one writer at a time (SQLite, DuckDB) is served best by one: no lock contention, no busy
    waits, no write conflicts. Elsewhere, as many as the pool has connections: more would only wait for one.
    """
    if single_writer:
        return 1
    size = config.connection_config.get("max_size", config.connection_config.get("max"))
    return size if isinstance(size, int) and size > 0 else _DEFAULT_WORKER_THREADS
