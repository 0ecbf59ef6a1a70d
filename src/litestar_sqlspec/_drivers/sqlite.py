"""SQLite's drivers: the standard library's sqlite3 and aiosqlite (sqlite3 in a thread of its own).

Both open a transaction with the first write and say so in ``in_transaction``. sqlite3's autocommit switch is
``isolation_level = None``, set without I/O while no transaction is open.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar_sqlspec._drivers.dbapi import commit_async, commit_sync, rollback_async, rollback_sync
from litestar_sqlspec._drivers.facts import DriverFacts

__all__ = ("AIOSQLITE", "SQLITE")


def _private_memory(config: Any) -> bool:
    database = str(config.connection_config.get("database", ":memory:"))
    return (database == ":memory:" or "mode=memory" in database) and "cache=shared" not in database


def _in_transaction(connection: Any) -> bool:
    return bool(connection.in_transaction)


def _sqlite_execute(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    # one call makes and runs the cursor, whose statement is reset once fetched; no rows is []
    found = connection.execute(statement, parameters)
    return found.fetchall(), int(found.rowcount)


def _sqlite_executemany(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    connection.executemany(statement, parameter_sets)


def _sqlite_autocommit_on(connection: Any) -> Callable[[], None] | None:
    level = connection.isolation_level
    if level is None or connection.in_transaction:  # switching inside a transaction would commit it
        return None
    connection.isolation_level = None
    return partial(setattr, connection, "isolation_level", level)


def _sqlite_autocommit_off(connection: Any) -> Callable[[], None] | None:
    if connection.isolation_level is not None:
        return None
    connection.isolation_level = ""  # sqlite3's default: BEGIN (deferred) before the first write
    return partial(setattr, connection, "isolation_level", None)


async def _aiosqlite_execute(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    # one trip to its connection thread instead of four (cursor, execute, fetch, close)
    before = int(connection.total_changes)
    rows = list(await connection.execute_fetchall(statement, parameters))
    return rows, int(connection.total_changes) - before


async def _aiosqlite_executemany(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    await connection.executemany(statement, parameter_sets)  # one trip to its connection thread


SQLITE = DriverFacts(
    adapter="sqlite",
    is_async=False,
    execute=_sqlite_execute,
    executemany=_sqlite_executemany,
    commit=commit_sync,
    rollback=rollback_sync,
    in_transaction=_in_transaction,
    autocommit_on=_sqlite_autocommit_on,
    autocommit_off=_sqlite_autocommit_off,
    exclusive_checkout=True,
    private_memory=_private_memory,
)
AIOSQLITE = DriverFacts(
    adapter="aiosqlite",
    is_async=True,
    execute=_aiosqlite_execute,
    executemany=_aiosqlite_executemany,
    commit=commit_async,
    rollback=rollback_async,
    in_transaction=_in_transaction,
)
