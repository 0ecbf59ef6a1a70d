"""What differs per sqlspec adapter, as data: one ``DriverFacts`` entry per adapter and flavour.

How a raw connection runs a statement, begins, commits and rolls back, whether it autocommits, how it listens for
PostgreSQL notifications, and what it cannot do. Imports nothing else of the package. Adding an adapter means adding
an entry here (and a row in the tests' table of config kinds).
"""

from dataclasses import replace
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
from litestar_sqlspec._drivers.embedded import DUCKDB
from litestar_sqlspec._drivers.facts import DriverFacts, Listen, Listening
from litestar_sqlspec._drivers.mysql import AIOMYSQL, ASYNCMY, MYSQLCONNECTOR_ASYNC, MYSQLCONNECTOR_SYNC, PYMYSQL
from litestar_sqlspec._drivers.oracle import ORACLE_ASYNC, ORACLE_SYNC
from litestar_sqlspec._drivers.pg_native import ASYNCPG, PSQLPY
from litestar_sqlspec._drivers.psycopg import PSYCOPG_ASYNC, PSYCOPG_SYNC
from litestar_sqlspec._drivers.sqlite import AIOSQLITE, SQLITE
from litestar_sqlspec._drivers.statements import ends_transaction, is_transaction_control, returns_rows

__all__ = (
    "DRIVERS",
    "DriverFacts",
    "Listen",
    "Listening",
    "adapter_of",
    "driver_for",
    "ends_transaction",
    "is_transaction_control",
    "returns_rows",
    "sql_dialect_of",
)

_GENERIC_SYNC = DriverFacts("", False, execute_sync, executemany_sync, commit_sync, rollback_sync)
_GENERIC_ASYNC = DriverFacts("", True, execute_async, executemany_async, commit_async, rollback_async)

DRIVERS: dict[tuple[str, bool], DriverFacts] = {
    (facts.adapter, facts.is_async): facts
    for facts in (
        AIOSQLITE,
        SQLITE,
        PSYCOPG_ASYNC,
        PSYCOPG_SYNC,
        ASYNCPG,
        PSQLPY,
        PYMYSQL,
        ASYNCMY,
        AIOMYSQL,
        MYSQLCONNECTOR_SYNC,
        MYSQLCONNECTOR_ASYNC,
        DUCKDB,
        ORACLE_SYNC,
        ORACLE_ASYNC,
        # ADBC: DB-API over an Arrow driver (SQLite, PostgreSQL, …); it reports no reliable row count
        replace(_GENERIC_SYNC, adapter="adbc", reports_rowcount=False),
        # CockroachDB speaks PostgreSQL's protocol through asyncpg and psycopg, without LISTEN/NOTIFY, and its SQL
        # differs from PostgreSQL's (the store has an entry of its own)
        replace(ASYNCPG, adapter="cockroach_asyncpg", listen=None, sql_dialect="cockroachdb"),
        replace(PSYCOPG_ASYNC, adapter="cockroach_psycopg", listen=None, sql_dialect="cockroachdb"),
        replace(PSYCOPG_SYNC, adapter="cockroach_psycopg", listen=None, sql_dialect="cockroachdb"),
        # arrow-odbc: sessions through sqlspec's driver; its connections move Arrow batches, no DB-API cursors
        replace(_GENERIC_SYNC, adapter="arrow_odbc", sql_dialect="odbc"),
    )
}
"""Keyed by ``(adapter, is_async)``. Adapters without an entry (Spanner, BigQuery, SQL Server, DB2) are DB-API to this
package: sessions are served through sqlspec's own driver, and the store and channels refuse them by dialect."""


def adapter_of(config: Any) -> str:
    """Sqlspec's adapter package of ``config`` (``"asyncpg"`` for ``AsyncpgConfig``), read from its driver type."""
    module = getattr(getattr(config, "driver_type", None), "__module__", "") or ""
    parts = module.split(".")
    if len(parts) > 2 and parts[0] == "sqlspec" and parts[1] == "adapters":
        return parts[2]
    return ""


def driver_for(config: Any) -> DriverFacts:
    """The facts of ``config``'s adapter; a plain DB-API driver of its flavour when the adapter has no entry."""
    is_async = bool(config.is_async)
    facts = DRIVERS.get((adapter_of(config), is_async))
    if facts is None:
        return _GENERIC_ASYNC if is_async else _GENERIC_SYNC
    return facts


def sql_dialect_of(config: Any) -> str:
    """The dialect of the store's and channels' SQL for ``config``: its adapter's own, else sqlspec's statement one."""
    return driver_for(config).sql_dialect or str(getattr(config.statement_config, "dialect", "") or "")
