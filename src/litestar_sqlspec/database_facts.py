"""What the store and the channels backend both know of each database, one entry per dialect, as data.

Keyed by sqlspec's dialect name (``config.statement_config.dialect``). The SQL of each table lives with its user
(``dialects.py`` for the store, ``channel_dialects.py`` for the channels); what does not depend on the table is here.
"""

from dataclasses import dataclass
from typing import Any

__all__ = (
    "DATABASE_FACTS",
    "ORA_NAME_IN_USE",
    "ORA_NO_SUCH_TABLE",
    "UNSUPPORTED_DIALECTS",
    "DatabaseFacts",
    "oracle_ddl",
    "supported_databases",
)

ORA_NAME_IN_USE = -955
ORA_NO_SUCH_TABLE = -942


def oracle_ddl(statement: str, ignored_sqlcode: int) -> str:
    """``statement`` as a PL/SQL block that ignores one Oracle error (19c has no ``IF [NOT] EXISTS``)."""
    return (
        f"BEGIN EXECUTE IMMEDIATE '{statement}'; "
        f"EXCEPTION WHEN OTHERS THEN IF SQLCODE != {ignored_sqlcode} THEN RAISE; END IF; END;"
    )


@dataclass(frozen=True, slots=True)
class DatabaseFacts:
    """One database's facts; ``{table}``, ``{bare}`` and ``{schema_prefix}`` in the SQL are filled in later."""

    name: str
    title: str
    """The database's name in messages."""
    max_identifier_length: int
    table_exists: str
    """A count of the tables named ``:table`` (or ``{bare}`` in ``{schema_prefix}``): 0 or 1."""
    drop_table: str = "DROP TABLE IF EXISTS {table}"
    large_value_bytes: int | None = None
    """Values longer than this are bound as a temporary LOB (Oracle binds at most 32 KB of RAW in SQL)."""
    single_writer: bool = False
    """An embedded database that takes one writer at a time: a sync config's operations run on one thread, and
    concurrent writes are batched behind one writer."""


DATABASE_FACTS: dict[str, DatabaseFacts] = {
    "sqlite": DatabaseFacts(
        name="sqlite",
        title="SQLite",
        max_identifier_length=128,
        table_exists="SELECT COUNT(*) FROM {schema_prefix}sqlite_master WHERE type = 'table' AND name = '{bare}'",
        single_writer=True,
    ),
    "postgres": DatabaseFacts(
        name="postgres",
        title="PostgreSQL",
        max_identifier_length=63,
        table_exists="SELECT COUNT(*) FROM (SELECT to_regclass(:table) AS found) AS probe WHERE found IS NOT NULL",
    ),
    "mysql": DatabaseFacts(
        name="mysql",
        title="MySQL/MariaDB",
        max_identifier_length=64,
        table_exists=(
            "SELECT COUNT(*) FROM information_schema.tables WHERE (table_schema = DATABASE() AND table_name = :table) "
            "OR CONCAT(table_schema, '.', table_name) = :table"
        ),
    ),
    # DuckDB: concurrent updates of one row fail ("Conflict on update") instead of waiting, hence one writer.
    "duckdb": DatabaseFacts(
        name="duckdb",
        title="DuckDB",
        max_identifier_length=255,
        table_exists=(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_name = :table OR table_schema || '.' || table_name = :table"
        ),
        single_writer=True,
    ),
    # CockroachDB (not tested live here: no server can run on this machine): its configs report sqlspec's
    # "postgres" dialect; the driver entries of its adapters name this one. Tables are looked up in
    # information_schema (portable across its versions).
    "cockroachdb": DatabaseFacts(
        name="cockroachdb",
        title="CockroachDB",
        max_identifier_length=63,
        table_exists=(
            "SELECT COUNT(*) FROM information_schema.tables WHERE (table_schema = current_schema() "
            "AND table_name = :table) OR table_schema || '.' || table_name = :table"
        ),
    ),
    # Oracle (not tested live here: no server can run on this machine).
    "oracle": DatabaseFacts(
        name="oracle",
        title="Oracle",
        max_identifier_length=128,
        table_exists="SELECT COUNT(*) FROM user_tables WHERE table_name = UPPER(:table)",
        drop_table=oracle_ddl("DROP TABLE {table} PURGE", ORA_NO_SUCH_TABLE),
        large_value_bytes=32_000,
    ),
}


UNSUPPORTED_DIALECTS: dict[str, str] = {
    "spanner": "Google Cloud Spanner",
    "bigquery": "Google BigQuery",
    "tsql": "SQL Server",
    "db2": "IBM Db2",
    "odbc": "arrow-odbc (its connections read and write Arrow batches; the tables need DB-API cursors)",
}
"""Dialects (sqlspec's names, and ``odbc`` for arrow-odbc's connections) known to have no SQL for this package's
tables, with how messages name them."""


def supported_databases(dialects: Any) -> str:
    """The titles of the databases of ``dialects`` (names of ``DATABASE_FACTS``), for messages."""
    return ", ".join(DATABASE_FACTS[name].title for name in dialects)
