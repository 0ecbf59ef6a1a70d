"""DuckDB, embedded: each statement commits on its own unless a transaction is begun.

A DuckDB connection is its own cursor (``connection.cursor()`` would open a second connection with a transaction of
its own), so statements run on the connection itself; a write's result is one row holding its count.
"""

from typing import Any

from litestar_sqlspec._drivers.dbapi import commit_sync, rollback_sync
from litestar_sqlspec._drivers.facts import DriverFacts
from litestar_sqlspec._drivers.statements import returns_rows

__all__ = ("DUCKDB",)


def _execute(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    rows = connection.execute(statement, parameters).fetchall()
    if returns_rows(statement):
        return rows, len(rows)
    count = rows[0][0] if rows and rows[0] else None
    return [], count if isinstance(count, int) else -1


def _executemany(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    connection.executemany(statement, parameter_sets)


def _begin(connection: Any) -> None:
    connection.execute("BEGIN TRANSACTION")


DUCKDB = DriverFacts(
    adapter="duckdb",
    is_async=False,
    execute=_execute,
    executemany=_executemany,
    commit=commit_sync,
    rollback=rollback_sync,
    begin=_begin,
    statement_methods=frozenset({"execute", "executemany", "sql", "query"}),
    ending_methods=frozenset({"commit", "rollback"}),
    exclusive_checkout=True,  # sqlspec's DuckDB pool: one connection per thread
)
