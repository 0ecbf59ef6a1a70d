"""psycopg 3, sync and async: a DB-API driver that opens a transaction with the first statement.

The package's own statements run on one kept cursor per connection, taken with the pool's own ``getconn``/``putconn``;
the listener holds a connection of its own ``LISTEN``ing to the wake-up channel.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar_sqlspec._drivers.dbapi import commit_async, commit_sync, rollback_async, rollback_sync
from litestar_sqlspec._drivers.facts import DriverFacts, Listening

__all__ = ("PSYCOPG_ASYNC", "PSYCOPG_SYNC", "forget_large_result", "kept_cursor")

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


async def _psycopg_listen_async(config: Any, channel: str, listening: Listening) -> None:
    connection = await config.create_connection()
    try:
        await connection.set_autocommit(True)
        await connection.execute(f'LISTEN "{channel}"')
        listening.on_listening()
        while not listening.stopping():
            async for notify in connection.notifies(timeout=listening.check_every):
                if notify.payload != listening.ignore:
                    listening.on_wake()
                if listening.stopping():
                    break
    finally:
        await connection.close()


def _psycopg_listen_sync(config: Any, channel: str, listening: Listening) -> None:
    connection = config.create_connection()
    try:
        connection.autocommit = True
        connection.execute(f'LISTEN "{channel}"')
        listening.on_listening()
        while not listening.stopping():
            for notify in connection.notifies(timeout=listening.check_every):
                if notify.payload != listening.ignore:
                    listening.on_wake()
                if listening.stopping():
                    break
    finally:
        connection.close()


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
    commit=commit_async,
    rollback=rollback_async,
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
    commit=commit_sync,
    rollback=rollback_sync,
    autocommit_on=partial(_psycopg_switch_sync, on=True),
    autocommit_off=partial(_psycopg_switch_sync, on=False),
    listen=_psycopg_listen_sync,
    **_PSYCOPG_SHARED,
)
