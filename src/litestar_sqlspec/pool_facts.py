"""What the plugin knows about particular pools, kept out of the flavour layers."""

from collections.abc import Callable
from typing import Any

__all__ = (
    "connection_lost",
    "connections_at_startup",
    "direct_checkout",
    "forget_large_result",
    "idle_check",
    "kept_cursor",
    "worker_threads",
)

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


def connection_lost(connection: Any) -> bool:
    """Whether a driver connection is known to be dead (psycopg: ``broken``, or closed under the driver's feet)."""
    return bool(getattr(connection, "broken", False))


def idle_check(pool: Any) -> Callable[[], Any] | None:
    """The pool's "test every idle connection, replace the dead ones" method, where it has one (psycopg_pool).

    When the server dropped one connection (a restart, a failover, ``pg_terminate_backend``) it usually dropped all of
    them: checking the idle ones after the first loss keeps the next requests from each finding a dead connection.
    """
    if type(pool).__module__.startswith("psycopg_pool"):
        check: Callable[[], Any] = pool.check
        return check
    return None


def direct_checkout(pool: Any) -> tuple[Callable[[], Any], Callable[[Any], Any]] | None:
    """The pool's own "take a connection" and "give it back" calls, where the config's context adds only cost.

    psycopg_pool: ``getconn``/``putconn`` (coroutines on an async pool) skip sqlspec's context object and psycopg's
    generator-based one: a sixth of a short statement's client time. ``None`` for every other pool (and no pool).
    """
    if type(pool).__module__.startswith("psycopg_pool"):
        return pool.getconn, pool.putconn
    return None


_KEPT_CURSOR = "_litestar_sqlspec_cursor"
_MOST_KEPT_RESULT_BYTES = 64 * 1024


def kept_cursor(connection: Any) -> Any:
    """A psycopg connection's client-side cursor for the plugin's own statements, made on first use and kept with it.

    Making and dropping a cursor per statement costs psycopg a copy of its adapters map each time (a twelfth of a
    short statement's client time). The cursor holds nothing between statements but the last result (see
    ``forget_large_result``), and it lives and dies with its connection.
    """
    cursor = connection.__dict__.get(_KEPT_CURSOR)
    if cursor is None or cursor.closed:
        cursor = connection.__dict__[_KEPT_CURSOR] = connection.cursor()
    return cursor


def forget_large_result(connection: Any, rows: list[Any]) -> None:
    """Drop the kept cursor when the result it holds (``rows``, as fetched) carries over 64 KiB of values.

    The cursor would hold that result until the connection's next statement of the plugin: a few cached pages per
    idle connection. Small results (sessions, keys, ids) stay, and the cursor with them.
    """
    size = 0
    for row in rows:
        for value in row:
            if isinstance(value, bytes | str):
                size += len(value)
    if size > _MOST_KEPT_RESULT_BYTES:
        connection.__dict__.pop(_KEPT_CURSOR, None)
