"""PostgreSQL's drivers: psycopg (sync and async), asyncpg and psqlpy.

psycopg is a DB-API driver that opens a transaction with the first statement; asyncpg and psqlpy run each statement
in a transaction of its own unless one is begun, so the package begins one (``begin``). The listeners hold a
connection of their own ``LISTEN``ing to the wake-up channel.
"""

import asyncio
import contextlib
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from litestar_sqlspec._drivers.facts import DriverFacts
from litestar_sqlspec._drivers.statements import returns_rows

__all__ = ("ASYNCPG", "PSQLPY", "PSYCOPG_ASYNC", "PSYCOPG_SYNC", "forget_large_result", "kept_cursor")

_PSYCOPG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE
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


def _psycopg_in_transaction(connection: Any) -> bool:
    return int(connection.info.transaction_status) != _PSYCOPG_IDLE


def _psycopg_lost(connection: Any) -> bool:
    return bool(getattr(connection, "broken", False))


def _psycopg_pool_checkout(pool: Any) -> tuple[Callable[[], Any], Callable[[Any], Any]] | None:
    # getconn/putconn skip sqlspec's context object and psycopg's generator-based one: a sixth of a short statement's
    # client time
    if type(pool).__module__.startswith("psycopg_pool"):
        return pool.getconn, pool.putconn
    return None


def _pool_max_size(pool: Any) -> int | None:
    size = getattr(pool, "max_size", None)
    return size if isinstance(size, int) else None


def _psycopg_pool_check(pool: Any) -> Callable[[], Any] | None:
    if type(pool).__module__.startswith("psycopg_pool"):
        check: Callable[[], Any] = pool.check
        return check
    return None


async def _psycopg_execute_async(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    # the connection's kept cursor, and ``rownumber`` tells cheaply whether rows came back
    cursor = kept_cursor(connection)
    await cursor.execute(statement, parameters)
    if cursor.rownumber is None:
        return [], int(cursor.rowcount)
    rows = list(await cursor.fetchall())
    forget_large_result(connection, rows)
    return rows, int(cursor.rowcount)


async def _psycopg_executemany_async(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    await kept_cursor(connection).executemany(statement, parameter_sets)


def _psycopg_execute_sync(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    cursor = kept_cursor(connection)
    cursor.execute(statement, parameters)
    if cursor.rownumber is None:
        return [], int(cursor.rowcount)
    rows = list(cursor.fetchall())
    forget_large_result(connection, rows)
    return rows, int(cursor.rowcount)


def _psycopg_executemany_sync(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    kept_cursor(connection).executemany(statement, parameter_sets)


async def _commit_async(connection: Any) -> None:
    await connection.commit()


async def _rollback_async(connection: Any) -> None:
    await connection.rollback()


def _commit_sync(connection: Any) -> None:
    connection.commit()


def _rollback_sync(connection: Any) -> None:
    connection.rollback()


async def _psycopg_switch_async(connection: Any, on: bool) -> Callable[[], Any] | None:
    # libpq: a client-side switch while no transaction is open
    if connection.autocommit is on or connection.info.transaction_status != _PSYCOPG_IDLE:
        return None
    await connection.set_autocommit(on)
    return partial(connection.set_autocommit, not on)


def _psycopg_switch_sync(connection: Any, on: bool) -> Callable[[], Any] | None:
    if connection.autocommit is on or connection.info.transaction_status != _PSYCOPG_IDLE:
        return None
    connection.autocommit = on
    return partial(setattr, connection, "autocommit", not on)


async def _psycopg_listen_async(
    config: Any,
    channel: str,
    *,
    on_wake: Callable[[], None],
    on_listening: Callable[[], None],
    stopping: Callable[[], bool],
    check_every: float,
    ignore: str,
) -> None:
    connection = await config.create_connection()
    try:
        await connection.set_autocommit(True)
        await connection.execute(f'LISTEN "{channel}"')
        on_listening()
        while not stopping():
            async for notify in connection.notifies(timeout=check_every):
                if notify.payload != ignore:
                    on_wake()
                if stopping():
                    break
    finally:
        await connection.close()


def _psycopg_listen_sync(
    config: Any,
    channel: str,
    *,
    on_wake: Callable[[], None],
    on_listening: Callable[[], None],
    stopping: Callable[[], bool],
    check_every: float,
    ignore: str,
) -> None:
    connection = config.create_connection()
    try:
        connection.autocommit = True
        connection.execute(f'LISTEN "{channel}"')
        on_listening()
        while not stopping():
            for notify in connection.notifies(timeout=check_every):
                if notify.payload != ignore:
                    on_wake()
                if stopping():
                    break
    finally:
        connection.close()


# asyncpg and psqlpy: rows come from fetch-style calls, row counts from the command tag ("DELETE 3")

_TAG_COUNT = re.compile(r"(\d+)\s*$")


async def _asyncpg_execute(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    if returns_rows(statement):
        rows = await connection.fetch(statement, *parameters)
        return list(rows), len(rows)
    tag = await connection.execute(statement, *parameters)
    found = _TAG_COUNT.search(tag or "")
    return [], int(found.group(1)) if found else -1


async def _asyncpg_executemany(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    await connection.executemany(statement, parameter_sets)


async def _asyncpg_begin(connection: Any) -> None:
    await connection.execute("BEGIN")


async def _asyncpg_commit(connection: Any) -> None:
    await connection.execute("COMMIT")


async def _asyncpg_rollback(connection: Any) -> None:
    await connection.execute("ROLLBACK")


def _asyncpg_in_transaction(connection: Any) -> bool:
    return bool(connection.is_in_transaction())


def _asyncpg_lost(connection: Any) -> bool:
    return bool(connection.is_closed())


async def _asyncpg_listen(
    config: Any,
    channel: str,
    *,
    on_wake: Callable[[], None],
    on_listening: Callable[[], None],
    stopping: Callable[[], bool],
    check_every: float,
    ignore: str,
) -> None:
    connection = await config.create_connection()  # of its own: no pool slot
    lost = asyncio.Event()

    def notified(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload != ignore:
            on_wake()

    try:
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(channel, notified)
        on_listening()
        while not stopping():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(check_every):
                    await lost.wait()
            if lost.is_set() or connection.is_closed():
                msg = f"the connection LISTENing to {channel!r} was lost"
                raise ConnectionError(msg)
    finally:
        if not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)


async def _psqlpy_execute(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    result = await connection.execute(statement, parameters)
    rows = result.result(as_tuple=True)
    # psqlpy reports no row count: writes whose count matters say RETURNING (``reports_rowcount``)
    return list(rows), len(rows) if rows else -1


async def _psqlpy_executemany(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    await connection.execute_many(statement, parameter_sets)


async def _psqlpy_control(connection: Any, statement: str) -> None:
    # the simple query protocol: one round trip, where ``execute`` prepares the statement first (two, and a Close)
    await connection.execute_batch(statement)


async def _psqlpy_listen(
    config: Any,
    channel: str,
    *,
    on_wake: Callable[[], None],
    on_listening: Callable[[], None],
    stopping: Callable[[], bool],
    check_every: float,
    ignore: str,
) -> None:
    pool = config.connection_instance
    if pool is None:
        pool = config.connection_instance = await config.create_pool()
    listener = pool.listener()  # a connection of its own, outside the pool's slots

    async def notified(_connection: Any, payload: str, _channel: str, _pid: int) -> None:
        if payload != ignore:
            on_wake()

    await listener.add_callback(channel=channel, callback=notified)
    await listener.startup()
    try:
        listener.listen()
        on_listening()
        while not stopping():
            await asyncio.sleep(check_every)
            if not listener.is_started or listener.connection is None:
                msg = f"the connection LISTENing to {channel!r} was lost"
                raise ConnectionError(msg)
    finally:
        with contextlib.suppress(Exception):
            await listener.shutdown()


_PSYCOPG_SHARED: dict[str, Any] = {
    "in_transaction": _psycopg_in_transaction,
    "direct_checkout": _psycopg_pool_checkout,
    "idle_check": _psycopg_pool_check,
    "connection_lost": _psycopg_lost,
}

PSYCOPG_ASYNC = DriverFacts(
    adapter="psycopg",
    is_async=True,
    execute=_psycopg_execute_async,
    executemany=_psycopg_executemany_async,
    commit=_commit_async,
    rollback=_rollback_async,
    autocommit_on=partial(_psycopg_switch_async, on=True),
    autocommit_off=partial(_psycopg_switch_async, on=False),
    listen=_psycopg_listen_async,
    **_PSYCOPG_SHARED,
)
PSYCOPG_SYNC = DriverFacts(
    adapter="psycopg",
    is_async=False,
    execute=_psycopg_execute_sync,
    executemany=_psycopg_executemany_sync,
    commit=_commit_sync,
    rollback=_rollback_sync,
    autocommit_on=partial(_psycopg_switch_sync, on=True),
    autocommit_off=partial(_psycopg_switch_sync, on=False),
    listen=_psycopg_listen_sync,
    **_PSYCOPG_SHARED,
)
ASYNCPG = DriverFacts(
    adapter="asyncpg",
    is_async=True,
    execute=_asyncpg_execute,
    executemany=_asyncpg_executemany,
    commit=_asyncpg_commit,
    rollback=_asyncpg_rollback,
    in_transaction=_asyncpg_in_transaction,
    begin=_asyncpg_begin,
    statement_methods=frozenset(
        {"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany", "cursor", "prepare"}
        | {"copy_from_table", "copy_from_query", "copy_to_table", "copy_records_to_table"}
    ),
    listen=_asyncpg_listen,
    connection_lost=_asyncpg_lost,
)
PSQLPY = DriverFacts(
    adapter="psqlpy",
    is_async=True,
    execute=_psqlpy_execute,
    executemany=_psqlpy_executemany,
    commit=partial(_psqlpy_control, statement="COMMIT"),
    rollback=partial(_psqlpy_control, statement="ROLLBACK"),
    begin=partial(_psqlpy_control, statement="BEGIN"),
    statement_methods=frozenset(
        {"execute", "execute_many", "execute_batch", "fetch", "fetch_row", "fetch_val", "cursor", "prepare"}
        | {"binary_copy_to_table", "copy_records_to_table"}
    ),
    reports_rowcount=False,
    binds_bytea_arrays=False,  # psqlpy 0.13 encodes list[bytes] elements wrongly (a 4-byte prefix each)
    listen=_psqlpy_listen,
)
