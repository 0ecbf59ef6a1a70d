"""What each SQL dialect needs for the store table: DDL and statements, as data.

One ``StoreDialect`` per dialect, keyed by sqlspec's dialect name (``config.statement_config.dialect``). Statements
use named ``:param`` placeholders (sqlspec converts them to each driver's style); table names are validated, never
taken from requests, and every value is bound.
"""

import re
from dataclasses import dataclass, fields
from typing import Any, Protocol

from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec.database_facts import (
    DATABASE_FACTS,
    ORA_NAME_IN_USE,
    UNSUPPORTED_DIALECTS,
    DatabaseFacts,
    oracle_ddl,
    supported_databases,
)
from litestar_sqlspec.ddl_options import check_ddl_options, ddl_clauses
from litestar_sqlspec.settings import config_label, extension_options, table_name_problem

__all__ = (
    "STORE_DIALECTS",
    "CompiledStatement",
    "NamedDialect",
    "StoreBatchSQL",
    "StoreDialect",
    "StoreStatements",
    "compile_statement",
    "execution_style",
    "store_statements_for",
    "table_names",
    "unsupported_message",
    "validate_table_name",
)


@dataclass(frozen=True, slots=True)
class StoreBatchSQL:
    """Statements that run many concurrent operations of one kind as one statement.

    The operations' values are bound as position-aligned arrays (``:nss``, ``:keys``, ``:nows``, ``:values``,
    ``:expires``); reads return rows that start with ``(ns, store_key)`` for the caller to match them up.
    """

    select_values: str
    select_expiries: str
    renew: str
    upsert: str
    """Rows arrive with distinct keys, sorted, so that concurrent batches lock rows in one order."""
    delete: str

    def filled(self, names: dict[str, str]) -> "StoreBatchSQL":
        """These statements with the table's names filled in."""
        return StoreBatchSQL(**{field.name: getattr(self, field.name).format(**names) for field in fields(self)})


@dataclass(frozen=True, slots=True)
class StoreDialect:
    """The store table's SQL for one dialect; ``{table}`` and ``{index}`` are filled in with validated names.

    The DDL's ``{options}``, ``{index_options}``, … get the config's DDL options (``ddl_options.DDL_OPTIONS``).
    """

    facts: DatabaseFacts
    create_table: tuple[str, ...]
    upsert: str
    get_and_renew: tuple[str, ...]
    """Renew a set expiry and read the value: one ``UPDATE … RETURNING`` where the dialect has it."""
    select_value: str = "SELECT store_value FROM {table} WHERE ns = :ns AND store_key = :key AND {alive}"
    select_expiry: str = (
        "SELECT CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END AS forever, expires_at FROM {table} "
        "WHERE ns = :ns AND store_key = :key AND {alive}"
    )
    delete: str = "DELETE FROM {table} WHERE ns = :ns AND store_key = :key"
    delete_namespace: str = "DELETE FROM {table} WHERE ns = :ns OR SUBSTR(ns, 1, :prefix_length) = :prefix"
    delete_expired: str = "DELETE FROM {table} WHERE expires_at IS NOT NULL AND expires_at <= :now"
    batch: StoreBatchSQL | None = None
    """Where the dialect can bind arrays: concurrent operations of one kind go out together as one statement."""
    relaxed_commit: str = ""
    """Filled into ``{relaxed}`` of the write statements (a FROM-list item) when writes need not wait for the disk
    flush of their commit."""


_ALIVE = "(expires_at IS NULL OR expires_at > :now)"


# Renewal touches only keys that have an expiry; a key without one is returned unchanged (Litestar's rule).
_RENEW = (
    "UPDATE {table} SET expires_at = CASE WHEN expires_at IS NULL THEN NULL ELSE :expires_at END "
    "WHERE ns = :ns AND store_key = :key AND {alive} RETURNING store_value"
)
_UPSERT = (
    "INSERT INTO {table} (ns, store_key, store_value, expires_at) VALUES (:ns, :key, :value, :expires_at) "
    "ON CONFLICT (ns, store_key) DO UPDATE SET store_value = excluded.store_value, expires_at = excluded.expires_at"
)

# Each batch's items are position-aligned arrays, unnested into rows named ``item``.
_PG_ALIVE_ITEMS = (
    "FROM unnest(CAST(:nss AS text[]), CAST(:keys AS bytea[]), CAST(:nows AS float8[])) AS item(ns, store_key, now) "
    "JOIN {table} AS t ON t.ns = item.ns AND t.store_key = item.store_key "
    "WHERE t.expires_at IS NULL OR t.expires_at > item.now"
)
_PG_BATCH = StoreBatchSQL(
    select_values=f"SELECT item.ns, item.store_key, t.store_value {_PG_ALIVE_ITEMS}",
    select_expiries=(
        "SELECT item.ns, item.store_key, CASE WHEN t.expires_at IS NULL THEN 1 ELSE 0 END AS forever, t.expires_at "
        f"{_PG_ALIVE_ITEMS}"
    ),
    renew=(
        "UPDATE {table} AS t SET expires_at = CASE WHEN t.expires_at IS NULL THEN NULL ELSE item.expires_at END "
        "FROM unnest(CAST(:nss AS text[]), CAST(:keys AS bytea[]), CAST(:nows AS float8[]), "
        "CAST(:expires AS float8[])) AS item(ns, store_key, now, expires_at){relaxed} "
        "WHERE t.ns = item.ns AND t.store_key = item.store_key AND (t.expires_at IS NULL OR t.expires_at > item.now) "
        "RETURNING t.ns, t.store_key, t.store_value"
    ),
    upsert=(
        "INSERT INTO {table} (ns, store_key, store_value, expires_at) "
        "SELECT item.ns, item.store_key, item.store_value, item.expires_at FROM unnest(CAST(:nss AS text[]), "
        "CAST(:keys AS bytea[]), CAST(:values AS bytea[]), CAST(:expires AS float8[])) WITH ORDINALITY "
        "AS item(ns, store_key, store_value, expires_at, ordinal){relaxed} ORDER BY item.ordinal "
        "ON CONFLICT (ns, store_key) DO UPDATE SET store_value = excluded.store_value, expires_at = excluded.expires_at"
    ),
    delete=(
        "DELETE FROM {table} AS t USING unnest(CAST(:nss AS text[]), CAST(:keys AS bytea[])) AS item(ns, store_key)"
        "{relaxed} WHERE t.ns = item.ns AND t.store_key = item.store_key"
    ),
)

STORE_DIALECTS: dict[str, StoreDialect] = {
    "sqlite": StoreDialect(
        facts=DATABASE_FACTS["sqlite"],
        create_table=(
            "CREATE TABLE IF NOT EXISTS {table} (ns TEXT NOT NULL, store_key BLOB NOT NULL, store_value BLOB NOT NULL, "
            "expires_at REAL, PRIMARY KEY (ns, store_key))",
            # SQLite puts an index in a schema by its name, and wants the table unqualified
            "CREATE INDEX IF NOT EXISTS {schema_index} ON {bare} (expires_at) WHERE expires_at IS NOT NULL",
        ),
        upsert=_UPSERT,
        get_and_renew=(_RENEW,),
    ),
    "postgres": StoreDialect(
        facts=DATABASE_FACTS["postgres"],
        create_table=(
            "CREATE TABLE IF NOT EXISTS {table} (ns TEXT NOT NULL, store_key BYTEA NOT NULL, "
            "store_value BYTEA NOT NULL, expires_at DOUBLE PRECISION, PRIMARY KEY (ns, store_key)){options}",
            "CREATE INDEX IF NOT EXISTS {index} ON {table} (expires_at) WHERE expires_at IS NOT NULL",
        ),
        # The writes read FROM a one-row relation that ``{relaxed}`` may join with a set_config() call: a setting
        # local to the statement's own transaction, still one statement and one round trip.
        upsert=(
            "INSERT INTO {table} (ns, store_key, store_value, expires_at) SELECT CAST(:ns AS text), "
            "CAST(:key AS bytea), CAST(:value AS bytea), CAST(:expires_at AS float8) FROM (SELECT 1) AS one{relaxed} "
            "ON CONFLICT (ns, store_key) DO UPDATE SET store_value = excluded.store_value, "
            "expires_at = excluded.expires_at"
        ),
        get_and_renew=(
            "UPDATE {table} SET expires_at = CASE WHEN expires_at IS NULL THEN NULL ELSE CAST(:expires_at AS float8) "
            "END FROM (SELECT 1) AS one{relaxed} WHERE ns = :ns AND store_key = :key AND {alive} RETURNING store_value",
        ),
        delete="DELETE FROM {table} USING (SELECT 1) AS one{relaxed} WHERE ns = :ns AND store_key = :key",
        # drivers that bind every int as bigint (ADBC) find no substr(text, integer, bigint)
        delete_namespace=(
            "DELETE FROM {table} WHERE ns = :ns OR SUBSTR(ns, 1, CAST(:prefix_length AS integer)) = :prefix"
        ),
        batch=_PG_BATCH,
        relaxed_commit=", (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed",
    ),
    # CockroachDB (not tested live here: no server can run on this machine): PostgreSQL's statements without the
    # set_config('synchronous_commit', …) of relaxed writes (a no-op setting there: a commit is replicated before it
    # returns). Multi-array unnest, WITH ORDINALITY, UPDATE … FROM, DELETE … USING (v22.1+), ON CONFLICT and RETURNING
    # are CockroachDB SQL. Each store operation is one statement, which CockroachDB retries itself on a serialization
    # conflict. The expiry index is not partial, so that it can be hash-sharded (expires_at grows like a clock);
    # ttl_expiration_expression lets row-level TTL delete expired rows too.
    "cockroachdb": StoreDialect(
        facts=DATABASE_FACTS["cockroachdb"],
        create_table=(
            "CREATE TABLE IF NOT EXISTS {table} (ns TEXT NOT NULL, store_key BYTEA NOT NULL, "
            "store_value BYTEA NOT NULL, expires_at DOUBLE PRECISION, PRIMARY KEY (ns, store_key)){options}",
            "CREATE INDEX IF NOT EXISTS {index} ON {table} (expires_at){index_options}",
        ),
        upsert=(
            "INSERT INTO {table} (ns, store_key, store_value, expires_at) VALUES (CAST(:ns AS text), "
            "CAST(:key AS bytea), CAST(:value AS bytea), CAST(:expires_at AS float8)) "
            "ON CONFLICT (ns, store_key) DO UPDATE SET store_value = excluded.store_value, "
            "expires_at = excluded.expires_at"
        ),
        get_and_renew=(
            "UPDATE {table} SET expires_at = CASE WHEN expires_at IS NULL THEN NULL ELSE CAST(:expires_at AS float8) "
            "END WHERE ns = :ns AND store_key = :key AND {alive} RETURNING store_value",
        ),
        delete_namespace=(
            "DELETE FROM {table} WHERE ns = :ns OR SUBSTR(ns, 1, CAST(:prefix_length AS integer)) = :prefix"
        ),
        batch=_PG_BATCH,
    ),
    # MySQL and MariaDB: the namespace is VARBINARY so that it compares byte for byte (the default collations ignore
    # case and trailing spaces), and its prefix is cut in bytes. No UPDATE … RETURNING: renewal is an UPDATE then a
    # SELECT in one transaction, the UPDATE's row lock keeping the pair atomic.
    "mysql": StoreDialect(
        facts=DATABASE_FACTS["mysql"],
        create_table=(
            "CREATE TABLE IF NOT EXISTS {table} (ns VARBINARY(1024) NOT NULL, store_key VARBINARY(32) NOT NULL, "
            "store_value LONGBLOB NOT NULL, expires_at DOUBLE NULL, PRIMARY KEY (ns, store_key), "
            "INDEX {index} (expires_at){index_options}) ENGINE=InnoDB{options}",
        ),
        upsert=(
            "INSERT INTO {table} (ns, store_key, store_value, expires_at) VALUES (:ns, :key, :value, :expires_at) "
            "ON DUPLICATE KEY UPDATE store_value = VALUES(store_value), expires_at = VALUES(expires_at)"
        ),
        get_and_renew=(
            "UPDATE {table} SET expires_at = :expires_at "
            "WHERE ns = :ns AND store_key = :key AND expires_at IS NOT NULL AND expires_at > :now",
            "SELECT store_value FROM {table} WHERE ns = :ns AND store_key = :key AND {alive}",
        ),
        delete_namespace="DELETE FROM {table} WHERE ns = :ns OR SUBSTR(ns, 1, :prefix_bytes) = :prefix",
    ),
    # DuckDB: no expiry index (an ART index makes updates of indexed rows conflict within a transaction, and
    # a columnar scan of one DOUBLE column is cheap).
    "duckdb": StoreDialect(
        facts=DATABASE_FACTS["duckdb"],
        create_table=(
            "CREATE TABLE IF NOT EXISTS {table} (ns VARCHAR NOT NULL, store_key BLOB NOT NULL, "
            "store_value BLOB NOT NULL, expires_at DOUBLE, PRIMARY KEY (ns, store_key))",
        ),
        upsert=_UPSERT,
        get_and_renew=(_RENEW,),
    ),
    # Oracle (not tested live here: no server can run on this machine). 19c has no IF [NOT] EXISTS: the DDL runs in
    # PL/SQL blocks that ignore ORA-00955 (name in use) and ORA-00942 (no such table). An empty BLOB reads as NULL,
    # so the value column is nullable and NULL reads as b"". Renewal is an UPDATE then a SELECT in one transaction
    # (RETURNING needs OUT binds); the UPDATE's row lock keeps the pair atomic.
    "oracle": StoreDialect(
        facts=DATABASE_FACTS["oracle"],
        create_table=(
            oracle_ddl(
                "CREATE TABLE {table} (ns VARCHAR2(1000) NOT NULL, store_key RAW(32) NOT NULL, store_value BLOB, "
                "expires_at BINARY_DOUBLE, CONSTRAINT {bare}_pk PRIMARY KEY (ns, store_key)){options}",
                ORA_NAME_IN_USE,
            ),
            oracle_ddl("CREATE INDEX {index} ON {table} (expires_at)", ORA_NAME_IN_USE),
        ),
        upsert=(
            "MERGE INTO {table} t USING (SELECT :ns AS ns, :key AS store_key FROM dual) s "
            "ON (t.ns = s.ns AND t.store_key = s.store_key) "
            "WHEN MATCHED THEN UPDATE SET t.store_value = :value, t.expires_at = :expires_at "
            "WHEN NOT MATCHED THEN INSERT (ns, store_key, store_value, expires_at) "
            "VALUES (:ns, :key, :value, :expires_at)"
        ),
        get_and_renew=(
            "UPDATE {table} SET expires_at = :expires_at "
            "WHERE ns = :ns AND store_key = :key AND expires_at IS NOT NULL AND expires_at > :now",
            "SELECT store_value FROM {table} WHERE ns = :ns AND store_key = :key AND {alive}",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class StoreStatements:
    """A dialect's statements with the table's names filled in, and the facts of its database."""

    facts: DatabaseFacts
    table: str
    create_table: tuple[str, ...]
    drop_table: str
    table_exists: str
    upsert: str
    select_value: str
    get_and_renew: tuple[str, ...]
    select_expiry: str
    delete: str
    delete_namespace: str
    delete_expired: str
    batch: StoreBatchSQL | None


class NamedDialect(Protocol):
    """What table-name validation needs of a dialect entry (store or channels)."""

    @property
    def name(self) -> str:
        """The dialect's name."""
        ...

    @property
    def max_identifier_length(self) -> int:
        """The longest identifier the dialect accepts."""
        ...


def validate_table_name(table: Any, dialect: NamedDialect, label: str) -> str:
    """Return ``table`` when it is a (optionally schema-qualified) identifier within the dialect's length limit."""
    problem = table_name_problem(table)
    if problem is not None or not isinstance(table, str):
        msg = f"{label}: table name {table!r} is invalid; {problem}"
        raise ImproperConfigurationError(msg)
    longest = max(len(part) for part in table.split("."))
    if longest > dialect.max_identifier_length:
        msg = f"{label}: table name {table!r} is longer than {dialect.name}'s {dialect.max_identifier_length} chars"
        raise ImproperConfigurationError(msg)
    return table


def table_names(table: str, index: str) -> dict[str, str]:
    """The DDL names of ``table`` and its index.

    ``table``, ``bare`` (without schema), ``index``, ``schema_prefix`` (``"schema."`` or ``""``) and ``schema_index``
    (the index named in the table's schema, as SQLite wants it).
    """
    bare = table.rsplit(".", 1)[-1]
    prefix = table[: -len(bare)]
    return {"table": table, "bare": bare, "index": index, "schema_prefix": prefix, "schema_index": f"{prefix}{index}"}


def store_statements_for(
    config: Any,
    table: Any,
    *,
    dialect: str | None = None,
    synchronous_commit: bool = True,
    bytea_arrays: bool = True,
) -> StoreStatements:
    """The store statements for ``config``'s dialect and ``table``, its DDL shaped by the config's DDL options.

    ``dialect``: the SQL dialect, where it is not sqlspec's statement dialect of the config (``_drivers.sql_dialect_of``
    knows: CockroachDB).
    ``synchronous_commit=False`` lets writes return before their commit reaches the disk, where the dialect can.
    ``bytea_arrays=False`` (a driver that cannot bind arrays of bytes) leaves out the batch statements over arrays.

    Raises:
        ImproperConfigurationError: for an unsupported dialect, an invalid table name or an invalid DDL option.
    """
    label = config_label(config)
    name = dialect or str(getattr(config.statement_config, "dialect", "") or "")
    entry = STORE_DIALECTS.get(name)
    if entry is None:
        raise ImproperConfigurationError(unsupported_message(label, "the SQL store", name, STORE_DIALECTS))
    facts = entry.facts
    table = validate_table_name(table, facts, label)
    bare = table.rsplit(".", 1)[-1]
    index = f"{bare[: facts.max_identifier_length - 12]}_expires_idx"
    if facts.name == "oracle":
        bare = bare[: facts.max_identifier_length - 3]
    options = extension_options(config)
    check_ddl_options(label, options)
    clauses = ddl_clauses(facts.name, options)
    if facts.name == "oracle":  # its DDL runs as EXECUTE IMMEDIATE '…'
        clauses = {name: clause.replace("'", "''") for name, clause in clauses.items()}
    relaxed = "" if synchronous_commit else entry.relaxed_commit
    names = {**table_names(table, index), "bare": bare, "alive": _ALIVE, "relaxed": relaxed, **clauses}
    return StoreStatements(
        facts=facts,
        table=table,
        create_table=tuple(statement.format(**names) for statement in entry.create_table),
        drop_table=facts.drop_table.format(**names),
        table_exists=facts.table_exists.format(**names),
        upsert=entry.upsert.format(**names),
        select_value=entry.select_value.format(**names),
        get_and_renew=tuple(statement.format(**names) for statement in entry.get_and_renew),
        select_expiry=entry.select_expiry.format(**names),
        delete=entry.delete.format(**names),
        delete_namespace=entry.delete_namespace.format(**names),
        delete_expired=entry.delete_expired.format(**names),
        batch=entry.batch.filled(names) if entry.batch is not None and bytea_arrays else None,
    )


def unsupported_message(label: str, user: str, name: str, dialects: Any) -> str:
    """Why ``user`` (the store, the channels backend) refuses the config ``label`` of dialect ``name``."""
    known = UNSUPPORTED_DIALECTS.get(name)
    what = known if known is not None else f"the {name!r} dialect"
    return f"{label}: {user} does not support {what}; it supports {supported_databases(dialects)}"


_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    """A statement in a driver's own parameter style, and the parameter names in binding order."""

    text: str
    names: tuple[str, ...]
    named: bool

    def bind(self, parameters: dict[str, Any]) -> dict[str, Any] | list[Any]:
        """The driver's parameters: a dict of the names used, or a list in placeholder order."""
        if self.named:
            return {name: parameters[name] for name in self.names}
        return [parameters[name] for name in self.names]


def compile_statement(statement: str, style: str) -> CompiledStatement:
    """Rewrite ``:name`` placeholders into the DB-API ``style`` of a driver (sqlspec's execution parameter style).

    Raises:
        ImproperConfigurationError: for a style the store does not speak.
    """
    order = _PLACEHOLDER.findall(statement)
    if style == "named_colon":
        return CompiledStatement(statement, tuple(dict.fromkeys(order)), named=True)
    if style == "qmark":
        return CompiledStatement(_PLACEHOLDER.sub("?", statement), tuple(order), named=False)
    escaped = statement.replace("%", "%%")
    if style == "pyformat_positional":
        return CompiledStatement(_PLACEHOLDER.sub("%s", escaped), tuple(order), named=False)
    if style == "pyformat_named":
        return CompiledStatement(_PLACEHOLDER.sub(r"%(\1)s", escaped), tuple(dict.fromkeys(order)), named=True)
    if style == "numeric":
        unique = tuple(dict.fromkeys(order))
        text = _PLACEHOLDER.sub(lambda match: f"${unique.index(match.group(1)) + 1}", statement)
        return CompiledStatement(text, unique, named=False)
    msg = f"the SQL store cannot bind parameters in the {style!r} style"
    raise ImproperConfigurationError(msg)


def execution_style(config: Any) -> str:
    """The parameter style ``config``'s driver executes (sqlspec's own knowledge of it)."""
    parameter_config = config.statement_config.parameter_config
    style = getattr(parameter_config, "default_execution_parameter_style", None)
    style = style or parameter_config.default_parameter_style
    return str(getattr(style, "value", style))
