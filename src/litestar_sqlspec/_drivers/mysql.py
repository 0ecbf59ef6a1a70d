"""MySQL and MariaDB drivers: PyMySQL, mysql-connector (sync and async), asyncmy and aiomysql.

All are DB-API drivers (statements through cursors). With autocommit off, their default, the server opens a
transaction with the first statement; a connection configured with ``autocommit=True`` is switched out of it for a
request's transaction and back at release (one round trip each way: MySQL keeps the mode on the server). The server
reports its autocommit state in every OK reply, which the drivers keep: reading it costs no I/O. Whether a
transaction is open is not read from it (the drivers do not update it from a result set's last packet): every
transaction is ended explicitly.
"""

import contextlib
import functools
from collections.abc import Callable
from functools import partial
from typing import Any

from litestar_sqlspec._drivers.dbapi import (
    commit_async,
    commit_sync,
    execute_async,
    execute_sync,
    executemany_async,
    executemany_sync,
    rollback_async,
    rollback_sync,
)
from litestar_sqlspec._drivers.facts import DriverFacts

__all__ = ("AIOMYSQL", "ASYNCMY", "MYSQLCONNECTOR_ASYNC", "MYSQLCONNECTOR_SYNC", "PYMYSQL")

_AUTOCOMMIT = 2  # SERVER_STATUS_AUTOCOMMIT


def _server_status(connection: Any) -> int | None:
    status = getattr(connection, "server_status", None)  # PyMySQL, asyncmy, aiomysql
    if status is None:  # mysql-connector keeps it on the pooled connection's inner one
        status = getattr(getattr(connection, "_cnx", connection), "_server_status", None)
    return status if isinstance(status, int) else None


def _in_autocommit(connection: Any) -> bool:
    status = _server_status(connection)
    return status is not None and bool(status & _AUTOCOMMIT)


def _autocommit_off_sync(connection: Any) -> Callable[[], Any] | None:
    if not _in_autocommit(connection):
        return None
    connection.autocommit(False)
    return partial(connection.autocommit, True)


async def _autocommit_off_async(connection: Any) -> Callable[[], Any] | None:
    if not _in_autocommit(connection):
        return None
    await connection.autocommit(False)
    return partial(connection.autocommit, True)


def _connector_autocommit_off_sync(connection: Any) -> Callable[[], Any] | None:
    if not _in_autocommit(connection):
        return None
    connection.autocommit = False
    return partial(setattr, connection, "autocommit", True)


async def _connector_autocommit_off_async(connection: Any) -> Callable[[], Any] | None:
    if not _in_autocommit(connection):
        return None
    await connection.set_autocommit(False)
    return partial(connection.set_autocommit, True)


class _Binary:
    """A bytes value for aiomysql 0.3, whose own escaping of ``bytes`` fails with PyMySQL 2.

    aiomysql calls ``escape_bytes_prefixed``, which PyMySQL 2 replaced by a placeholder string.
    """

    __slots__ = ("value",)

    def __init__(self, value: bytes) -> None:
        self.value = value


def _escape_binary(binary: _Binary, mapping: Any = None) -> str:
    return f"_binary X'{binary.value.hex()}'"


@functools.cache
def _register_binary() -> None:
    # aiomysql escapes what is neither str nor bytes with PyMySQL's module-wide encoders
    with contextlib.suppress(ImportError):
        from pymysql import converters  # noqa: PLC0415 - only aiomysql configs get here

        converters.encoders.setdefault(_Binary, _escape_binary)


def _binary_safe(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {name: _Binary(value) if isinstance(value, bytes) else value for name, value in parameters.items()}
    return [_Binary(value) if isinstance(value, bytes) else value for value in parameters]


@functools.cache
def _quiet_cursor() -> Any:
    from aiomysql.cursors import Cursor  # noqa: PLC0415 - only aiomysql configs get here

    class QuietCursor(Cursor):  # type: ignore[misc]
        """aiomysql turns every server note into a Python warning: the package's ``IF [NOT] EXISTS`` DDL makes them."""

        async def _show_warnings(self, conn: Any) -> None:
            return None

    return QuietCursor


async def _aiomysql_execute(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    _register_binary()
    cursor = await connection.cursor(_quiet_cursor())
    try:
        await cursor.execute(statement, _binary_safe(parameters))
        rows = list(await cursor.fetchall()) if cursor.description else []
        return rows, int(cursor.rowcount)
    finally:
        await cursor.close()


async def _aiomysql_executemany(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    _register_binary()
    cursor = await connection.cursor(_quiet_cursor())
    try:
        await cursor.executemany(statement, [_binary_safe(each) for each in parameter_sets])
    finally:
        await cursor.close()


_SYNC: dict[str, Any] = {
    "is_async": False,
    "execute": execute_sync,
    "executemany": executemany_sync,
    "commit": commit_sync,
    "rollback": rollback_sync,
}
_ASYNC: dict[str, Any] = {
    "is_async": True,
    "execute": execute_async,
    "executemany": executemany_async,
    "commit": commit_async,
    "rollback": rollback_async,
}

# sqlspec's PyMySQL pool keeps one connection per thread: requests take connections of their own
PYMYSQL = DriverFacts(adapter="pymysql", autocommit_off=_autocommit_off_sync, exclusive_checkout=True, **_SYNC)
ASYNCMY = DriverFacts(adapter="asyncmy", autocommit_off=_autocommit_off_async, **_ASYNC)
AIOMYSQL = DriverFacts(
    adapter="aiomysql",
    autocommit_off=_autocommit_off_async,
    **{**_ASYNC, "execute": _aiomysql_execute, "executemany": _aiomysql_executemany},
)


def _connector_pool_size(pool: Any) -> int | None:
    size = getattr(pool, "pool_size", None)
    return size if isinstance(size, int) else None


# mysql-connector's pools fail at once when every connection is out ("pool exhausted"): checkouts wait their turn
MYSQLCONNECTOR_SYNC = DriverFacts(
    adapter="mysqlconnector",
    autocommit_off=_connector_autocommit_off_sync,
    checkout_limit=_connector_pool_size,
    **_SYNC,
)
MYSQLCONNECTOR_ASYNC = DriverFacts(
    adapter="mysqlconnector",
    autocommit_off=_connector_autocommit_off_async,
    checkout_limit=_connector_pool_size,
    **_ASYNC,
)
