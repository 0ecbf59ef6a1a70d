"""What the store and the channels backend both know of each database, one entry per dialect, as data.

Keyed by sqlspec's dialect name (``config.statement_config.dialect``). The SQL of each table lives with its user
(``dialects.py`` for the store, ``channel_dialects.py`` for the channels); what does not depend on the table is here.
"""

from dataclasses import dataclass

__all__ = ("DATABASE_FACTS", "ORA_NAME_IN_USE", "ORA_NO_SUCH_TABLE", "DatabaseFacts", "oracle_ddl")

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
        max_identifier_length=128,
        table_exists="SELECT COUNT(*) FROM {schema_prefix}sqlite_master WHERE type = 'table' AND name = '{bare}'",
        single_writer=True,
    ),
    "postgres": DatabaseFacts(
        name="postgres",
        max_identifier_length=63,
        table_exists="SELECT COUNT(*) FROM (SELECT to_regclass(:table) AS found) AS probe WHERE found IS NOT NULL",
    ),
    "mysql": DatabaseFacts(
        name="mysql",
        max_identifier_length=64,
        table_exists=(
            "SELECT COUNT(*) FROM information_schema.tables WHERE (table_schema = DATABASE() AND table_name = :table) "
            "OR CONCAT(table_schema, '.', table_name) = :table"
        ),
    ),
    # DuckDB: concurrent updates of one row fail ("Conflict on update") instead of waiting, hence one writer.
    "duckdb": DatabaseFacts(
        name="duckdb",
        max_identifier_length=255,
        table_exists=(
            "SELECT COUNT(*) FROM information_schema.tables "
            "WHERE table_name = :table OR table_schema || '.' || table_name = :table"
        ),
        single_writer=True,
    ),
    # Oracle (not tested live here: no server can run on this machine).
    "oracle": DatabaseFacts(
        name="oracle",
        max_identifier_length=128,
        table_exists="SELECT COUNT(*) FROM user_tables WHERE table_name = UPPER(:table)",
        drop_table=oracle_ddl("DROP TABLE {table} PURGE", ORA_NO_SUCH_TABLE),
        large_value_bytes=32_000,
    ),
}
