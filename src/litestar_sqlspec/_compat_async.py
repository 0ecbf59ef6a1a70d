"""The async flavour's shim: what differs for async configs, which run on the event loop.

``scripts/generate_sync.py`` maps every import of this module in ``_async/`` to ``_compat_sync``, its twin.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

from litestar_sqlspec.pool_facts import forget_large_result, kept_cursor

__all__ = (
    "ALock",
    "asleep",
    "autocommit_on_async",
    "create_blob_async",
    "execute_async",
    "executemany_async",
    "read_bytes_async",
    "restore_mode_async",
    "run",
)

T = TypeVar("T")

ALock = anyio.Lock
"""A lock for tasks (its twin: ``threading.Lock``)."""


async def asleep(seconds: float) -> None:
    """Sleep without blocking the event loop (its twin: ``time.sleep``)."""
    await anyio.sleep(seconds)


async def run(function: Callable[..., Awaitable[T]], /, *args: Any) -> T:
    """Run one database operation of an async config: await it on the event loop."""
    return await function(*args)


async def autocommit_on_async(connection: Any) -> Any:
    """Put ``connection`` in autocommit mode, without I/O; return the mode that ``restore_mode_async`` puts back.

    psycopg switches ``autocommit`` (the mode is ``False``): a single statement then needs no BEGIN and COMMIT trips.
    ``None``: nothing to put back (already in autocommit, or no switch without I/O: the caller commits). aiosqlite
    has none: its connection's mode can only be set in its own thread. mysql-connector's is a query (its async
    connection refuses to read it): it is left as it is.
    """
    if type(connection).__module__.startswith("mysql.connector"):
        return None
    mode = getattr(connection, "autocommit", None)
    if not isinstance(mode, bool) or mode:
        return None
    await connection.set_autocommit(True)
    return False


async def restore_mode_async(connection: Any, mode: Any) -> None:
    """Put back the mode ``autocommit_on_async`` returned (``None``: nothing to do)."""
    if mode is not None:
        await connection.set_autocommit(mode)


async def read_bytes_async(value: Any) -> bytes:
    """A fetched binary value as bytes: a LOB is read; NULL (how Oracle stores an empty BLOB) is ``b""``."""
    if value is None:
        return b""
    read = getattr(value, "read", None)
    return bytes(await read() if read is not None else value)


async def create_blob_async(connection: Any, data: bytes) -> Any:
    """A temporary BLOB holding ``data``, to bind values larger than Oracle's 32 KB RAW limit."""
    import oracledb  # noqa: PLC0415 - only Oracle configs get here

    return await connection.createlob(oracledb.DB_TYPE_BLOB, data)


async def execute_async(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    """Run one statement on a raw async DB-API-like connection; return its rows and row count.

    aiosqlite makes cursors with a coroutine, psycopg and oracledb synchronously: both are handled here.
    """
    execute_fetchall = getattr(connection, "execute_fetchall", None)
    if execute_fetchall is not None:
        # aiosqlite: one trip to its connection thread instead of four (cursor, execute, fetch, close)
        before = int(connection.total_changes)
        rows = list(await execute_fetchall(statement, parameters))
        return rows, int(connection.total_changes) - before
    if hasattr(connection, "pgconn"):
        # psycopg: the connection's kept cursor, and ``rownumber`` tells cheaply whether rows came back
        cursor = kept_cursor(connection)
        await cursor.execute(statement, parameters)
        if cursor.rownumber is None:
            return [], int(cursor.rowcount)
        rows = list(await cursor.fetchall())
        forget_large_result(connection, rows)
        return rows, int(cursor.rowcount)
    cursor = connection.cursor()
    if inspect.isawaitable(cursor):
        cursor = await cursor
    try:
        await cursor.execute(statement, parameters)
        rows = list(await cursor.fetchall()) if cursor.description else []
        return rows, int(cursor.rowcount)
    finally:
        closed = cursor.close()
        if inspect.isawaitable(closed):
            await closed


async def executemany_async(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    """Run one statement once per parameter set on a raw async DB-API-like connection (no rows come back)."""
    if hasattr(connection, "execute_fetchall"):  # aiosqlite: one trip to its connection thread; nothing to close
        await connection.executemany(statement, parameter_sets)
        return
    cursor = connection.cursor()
    if inspect.isawaitable(cursor):
        cursor = await cursor
    try:
        await cursor.executemany(statement, parameter_sets)
    finally:
        closed = cursor.close()
        if inspect.isawaitable(closed):
            await closed
