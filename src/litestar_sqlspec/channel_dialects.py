"""What each SQL dialect needs for the channels table: DDL, statements and how listeners wake up, as data.

The message table is the truth: a monotonic ``id``, the channel's key (a hex SHA-256 of its name, so any string is a
channel name), the payload and the publish time. Publishers are serialized where the database would otherwise let ids
commit out of order (PostgreSQL: a transaction-level advisory lock; Oracle: a table lock; MySQL: a row lock on a lock
table; DuckDB: a lock of the one process that holds the database), so that a reader that has seen id N never later
finds a committed row below N. Statements use ``:name`` placeholders, compiled per driver.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec.database_facts import (
    DATABASE_FACTS,
    ORA_NAME_IN_USE,
    DatabaseFacts,
    oracle_ddl,
    supported_databases,
)
from litestar_sqlspec.dialects import table_names, unsupported_message, validate_table_name
from litestar_sqlspec.settings import config_label

__all__ = (
    "CHANNELS_REFUSED",
    "CHANNEL_DIALECTS",
    "ChannelDialect",
    "ChannelStatements",
    "channel_statements_for",
    "one_process_database",
)

Wake = Literal["notify", "file", "poll", "process"]


@dataclass(frozen=True, slots=True)
class ChannelDialect:
    """The channels table's SQL for one dialect; ``{table}``, ``{index}``, ``{wanted}``, ``{limit}`` are filled in."""

    facts: DatabaseFacts
    create_table: tuple[str, ...]
    publish: tuple[str, ...]
    """Insert one row per channel key (``:keys``, in order) with ``:payload`` and ``:now``: one statement or one
    transaction, serialized where ids could commit out of order. With ``batched``, one statement inserts the rows of
    many messages (``:keys`` and ``:payloads`` are row-aligned arrays), wakes listeners (if any) with ``:origin`` as
    the payload, and returns one row ``(_, first id, last id)`` of the rows it inserted."""
    batched: bool
    """Whether ``publish`` takes a batch of messages as arrays; otherwise a batch runs ``publish`` once per message,
    all in one transaction."""
    wanted: str
    """SQL condition: ``channel_key`` is one of the subscribed ``:keys``."""
    keys_as: Literal["json", "array"]
    """How a list of keys is bound: a JSON array text, or a native array."""
    limit: str
    """Clause limiting a result to ``:limit`` rows."""
    wake: Wake
    """How listeners in other processes learn of a publish: NOTIFY, the database file changing, or polling; or
    ``process``: no other process can open the database, and this one's publishes wake its readers."""
    relaxed_commit: str = ""
    """Filled into ``{relaxed}`` of the publish statement when publishes need not wait for the disk flush."""
    publish_one: tuple[str, ...] = ()
    """With ``batched``: the publish of one message (``:keys``, ``:payload``), for drivers that cannot bind the
    batch's arrays of bytes; a batch then runs it once per message, in one transaction."""
    drop_also: tuple[str, ...] = ()
    """What the table needs besides itself, dropped after it (MySQL's lock table, DuckDB's id sequence)."""
    largest_packet: str = ""
    """A query of the largest statement the server takes, where payloads travel inside the statement's text (MySQL's
    ``max_allowed_packet``; PyMySQL writes bytes in hex, twice their size)."""


_POLL = (
    "SELECT id, channel_key, CASE WHEN {wanted} THEN payload END AS payload, CASE WHEN {wanted} THEN 1 ELSE 0 END "
    "AS wanted FROM {table} WHERE id > :after ORDER BY id {limit}"
)
_HISTORY = "SELECT payload FROM {table} WHERE channel_key = :key ORDER BY id DESC {limit}"
_MAX_ID = "SELECT COALESCE(MAX(id), 0) FROM {table}"
# Rows beyond the newest ``:keep`` of their channel and older than ``:cutoff``, a bounded batch at a time.
# (The limited, ordered set is an inline view: Oracle allows ORDER BY there, not directly in an IN subquery.)
_PRUNE = (
    "DELETE FROM {table} WHERE id IN (SELECT id FROM (SELECT id FROM (SELECT id, created_at, ROW_NUMBER() OVER "
    "(PARTITION BY channel_key ORDER BY id DESC) AS newness FROM {table}) ranked "
    "WHERE newness > :keep AND created_at < :cutoff ORDER BY id {limit}) oldest)"
)

CHANNEL_DIALECTS: dict[str, ChannelDialect] = {
    "sqlite": ChannelDialect(
        facts=DATABASE_FACTS["sqlite"],
        create_table=(
            # AUTOINCREMENT: ids are never reused, even after every row was deleted
            "CREATE TABLE IF NOT EXISTS {table} (id INTEGER PRIMARY KEY AUTOINCREMENT, channel_key TEXT NOT NULL, "
            "payload BLOB NOT NULL, created_at REAL NOT NULL)",
            "CREATE INDEX IF NOT EXISTS {schema_index} ON {bare} (channel_key, id)",
        ),
        publish=(
            "INSERT INTO {table} (channel_key, payload, created_at) "
            "SELECT value, :payload, :now FROM json_each(:keys) ORDER BY key",
        ),
        batched=False,
        wanted="channel_key IN (SELECT value FROM json_each(:keys))",
        keys_as="json",
        limit="LIMIT :limit",
        wake="file",
    ),
    "postgres": ChannelDialect(
        facts=DATABASE_FACTS["postgres"],
        create_table=(
            "CREATE TABLE IF NOT EXISTS {table} (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "channel_key TEXT NOT NULL, payload BYTEA NOT NULL, created_at DOUBLE PRECISION NOT NULL)",
            "CREATE INDEX IF NOT EXISTS {index} ON {table} (channel_key, id)",
        ),
        # One statement, one round trip for a whole batch of messages: the advisory lock (held to commit) orders ids
        # by commit (and keeps a statement's ids contiguous), and NOTIFY (sent at commit, carrying only the publishing
        # process's token) wakes every listener.
        publish=(
            "WITH serial AS (SELECT pg_advisory_xact_lock(:lock){relaxed}), "
            "added AS (INSERT INTO {table} (channel_key, payload, created_at) "
            "SELECT message.key, message.payload, CAST(:now AS float8) FROM serial, "
            "unnest(CAST(:keys AS text[]), CAST(:payloads AS bytea[])) WITH ORDINALITY "
            "AS message(key, payload, ordinal) ORDER BY message.ordinal RETURNING id) "
            "SELECT pg_notify(:wake, :origin), published.first_id, published.last_id FROM (SELECT MIN(id) AS first_id, "
            "MAX(id) AS last_id, COUNT(*) AS added_rows FROM added) AS published WHERE published.added_rows > 0",
        ),
        batched=True,
        publish_one=(
            "WITH serial AS (SELECT pg_advisory_xact_lock(:lock){relaxed}), "
            "added AS (INSERT INTO {table} (channel_key, payload, created_at) "
            "SELECT message.key, :payload, CAST(:now AS float8) "
            "FROM serial, unnest(CAST(:keys AS text[])) WITH ORDINALITY AS message(key, ordinal) "
            "ORDER BY message.ordinal RETURNING id) "
            "SELECT COUNT(*) FROM added, (SELECT pg_notify(:wake, :origin)) AS woken",
        ),
        wanted="channel_key = ANY(CAST(:keys AS text[]))",
        keys_as="array",
        limit="LIMIT :limit",
        wake="notify",
        relaxed_commit=", set_config('synchronous_commit', 'off', true)",
    ),
    # Oracle (not tested live here: no server can run on this machine): identity ids, a table lock to order them by
    # commit, JSON_TABLE for key lists, PL/SQL blocks for DDL without IF [NOT] EXISTS.
    "oracle": ChannelDialect(
        facts=DATABASE_FACTS["oracle"],
        create_table=(
            oracle_ddl(
                "CREATE TABLE {table} (id NUMBER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                "channel_key VARCHAR2(64) NOT NULL, payload BLOB, created_at BINARY_DOUBLE NOT NULL)",
                ORA_NAME_IN_USE,
            ),
            oracle_ddl("CREATE INDEX {index} ON {table} (channel_key, id)", ORA_NAME_IN_USE),
        ),
        publish=(
            "LOCK TABLE {table} IN EXCLUSIVE MODE",
            "INSERT INTO {table} (channel_key, payload, created_at) SELECT k, :payload, :now FROM "
            "JSON_TABLE(:keys, '$[*]' COLUMNS (ordinal FOR ORDINALITY, k VARCHAR2(64) PATH '$')) ORDER BY ordinal",
        ),
        batched=False,
        wanted="channel_key IN (SELECT k FROM JSON_TABLE(:keys, '$[*]' COLUMNS (k VARCHAR2(64) PATH '$')))",
        keys_as="json",
        limit="FETCH FIRST :limit ROWS ONLY",
        wake="poll",
    ),
    # MySQL and MariaDB: InnoDB hands out AUTO_INCREMENT ids as rows are inserted, not as they commit. The publishing
    # statement reads the one row of a lock table FOR UPDATE (joined into the INSERT … SELECT itself: no round trip of
    # its own); that row lock is held to commit, so ids commit in order whatever the isolation level. Keys are bound
    # as one JSON text (JSON_TABLE: MySQL 8.0.4+, MariaDB 10.6+). Readers poll.
    "mysql": ChannelDialect(
        facts=DATABASE_FACTS["mysql"],
        create_table=(
            # the lock row exists before the messages table does: without it a publish would insert nothing
            "CREATE TABLE IF NOT EXISTS {lock_table} (id TINYINT NOT NULL PRIMARY KEY) ENGINE=InnoDB",
            "INSERT IGNORE INTO {lock_table} (id) VALUES (1)",
            "CREATE TABLE IF NOT EXISTS {table} (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
            # keys compare byte for byte (the default collations ignore case and trailing spaces)
            "channel_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, payload LONGBLOB NOT NULL, "
            "created_at DOUBLE NOT NULL, INDEX {index} (channel_key, id)) ENGINE=InnoDB",
        ),
        publish=(
            "INSERT INTO {table} (channel_key, payload, created_at) SELECT message.k, :payload, :now "
            "FROM {lock_table} AS publishers, JSON_TABLE(:keys, '$[*]' COLUMNS (ordinal FOR ORDINALITY, "
            "k CHAR(64) CHARACTER SET ascii COLLATE ascii_bin PATH '$')) AS message "
            "WHERE publishers.id = 1 ORDER BY message.ordinal FOR UPDATE",
        ),
        batched=False,
        wanted=(
            "channel_key IN (SELECT k FROM JSON_TABLE(:keys, '$[*]' COLUMNS "
            "(k CHAR(64) CHARACTER SET ascii COLLATE ascii_bin PATH '$')) AS listed)"
        ),
        keys_as="json",
        limit="LIMIT :limit",
        wake="poll",
        drop_also=("DROP TABLE IF EXISTS {lock_table}",),
        largest_packet="SELECT @@max_allowed_packet",
    ),
    # DuckDB: ids from a sequence; one statement per batch of messages (atomic in DuckDB's autocommit) returns their
    # ids. Only one process can open the database file: its publishes wake its readers, and the backend serializes
    # its publishers with a lock of the process (a second connection's write would fail on a conflict, not wait).
    # No index: an ART index costs every insert, and a columnar scan of the ids is cheap.
    "duckdb": ChannelDialect(
        facts=DATABASE_FACTS["duckdb"],
        create_table=(
            "CREATE SEQUENCE IF NOT EXISTS {sequence}",
            "CREATE TABLE IF NOT EXISTS {table} (id BIGINT NOT NULL DEFAULT nextval('{sequence}'), "
            "channel_key VARCHAR NOT NULL, payload BLOB NOT NULL, created_at DOUBLE NOT NULL)",
        ),
        publish=(
            "WITH added AS (INSERT INTO {table} (channel_key, payload, created_at) "
            "SELECT message.k, message.p, :now FROM (SELECT unnest(CAST(:keys AS VARCHAR[])) AS k, "
            "unnest(CAST(:payloads AS BLOB[])) AS p, generate_subscripts(CAST(:keys AS VARCHAR[]), 1) AS ordinal) "
            "AS message ORDER BY message.ordinal RETURNING id) "
            "SELECT 0, MIN(id), MAX(id) FROM added HAVING COUNT(*) > 0",
        ),
        batched=True,
        wanted="list_contains(CAST(:keys AS VARCHAR[]), channel_key)",
        keys_as="array",
        limit="LIMIT :limit",
        wake="process",
        drop_also=("DROP SEQUENCE IF EXISTS {sequence}",),
    ),
}


CHANNELS_REFUSED: dict[str, str] = {
    # CockroachDB's docs and issue tracker: LISTEN/NOTIFY unimplemented (cockroachdb/cockroach#41522), the
    # pg_advisory_* builtins no-op stubs (#13546, "unsupported PostgreSQL features"), SERIAL/unique_rowid() values
    # "not guaranteed to increase monotonically" (SERIAL docs). A reader that has seen id N could later find a row
    # committed below N and skip it; no lock here would order ids by commit.
    "cockroachdb": (
        "it has no LISTEN/NOTIFY to wake readers, no advisory locks (its pg_advisory_* functions are no-op "
        "stubs) to order message ids by commit, and its SERIAL/unique_rowid() ids do not grow in commit order, so a "
        "reader could skip messages"
    ),
}
"""Databases whose store works but whose channels cannot, and why."""


@dataclass(frozen=True, slots=True)
class ChannelStatements:
    """A dialect's channel statements with the table's names filled in, and the facts of its database."""

    facts: DatabaseFacts
    table: str
    wake: Wake
    wake_channel: str
    """The NOTIFY channel of this table (PostgreSQL)."""
    lock_key: int
    """The advisory lock key of this table's publishers (PostgreSQL)."""
    keys_as: Literal["json", "array"]
    create_table: tuple[str, ...]
    drop_table: tuple[str, ...]
    table_exists: str
    publish: tuple[str, ...]
    batched: bool
    poll: str
    history: str
    max_id: str
    prune: str
    largest_packet: str

    def bind_keys(self, keys: list[str]) -> Any:
        """``keys`` as the dialect binds a list."""
        return json.dumps(keys) if self.keys_as == "json" else keys


def channel_statements_for(
    config: Any,
    table: Any,
    *,
    dialect: str | None = None,
    synchronous_commit: bool = True,
    bytea_arrays: bool = True,
) -> ChannelStatements:
    """The channel statements for ``config``'s dialect and ``table``.

    ``dialect``: the SQL dialect, where it is not sqlspec's statement dialect of the config (``_drivers.sql_dialect_of``
    knows: CockroachDB).
    ``synchronous_commit=False`` lets a publish return before its commit reaches the disk, where the dialect can.
    ``bytea_arrays=False`` (a driver that cannot bind arrays of bytes) publishes a batch one message at a time.

    Raises:
        ImproperConfigurationError: for an unsupported dialect or an invalid table name.
    """
    label = config_label(config)
    name = dialect or str(getattr(config.statement_config, "dialect", "") or "")
    entry = CHANNEL_DIALECTS.get(name)
    if name in CHANNELS_REFUSED:
        title, why = DATABASE_FACTS[name].title, CHANNELS_REFUSED[name]
        msg = f"{label}: the channels backend does not support {title}: {why}; "
        raise ImproperConfigurationError(msg + f"it supports {supported_databases(CHANNEL_DIALECTS)}")
    if entry is None:
        raise ImproperConfigurationError(unsupported_message(label, "the channels backend", name, CHANNEL_DIALECTS))
    facts = entry.facts
    table = validate_table_name(table, facts, label)
    bare = table.rsplit(".", 1)[-1]
    longest = facts.max_identifier_length
    names = {
        **table_names(table, f"{bare[: longest - 8]}_key_idx"),
        "lock_table": f"{table[: -len(bare)]}{bare[: longest - 5]}_lock",
        "sequence": f"{table[: -len(bare)]}{bare[: longest - 7]}_id_seq",
        "wanted": entry.wanted,
        "limit": entry.limit,
        "relaxed": "" if synchronous_commit else entry.relaxed_commit,
    }
    digest = hashlib.sha256(table.lower().encode()).digest()
    batched = entry.batched and (bytea_arrays or not entry.publish_one)
    publish = entry.publish if batched or not entry.publish_one else entry.publish_one

    def fill(statement: str) -> str:
        return statement.format(**names)

    return ChannelStatements(
        facts=facts,
        table=table,
        wake=entry.wake,
        wake_channel=f"{bare[:40]}_wake",
        lock_key=int.from_bytes(digest[:8], "big", signed=True),
        keys_as=entry.keys_as,
        create_table=tuple(fill(statement) for statement in entry.create_table),
        drop_table=(fill(facts.drop_table), *(fill(statement) for statement in entry.drop_also)),
        table_exists=fill(facts.table_exists),
        publish=tuple(fill(statement) for statement in publish),
        batched=batched,
        poll=fill(_POLL),
        history=fill(_HISTORY),
        max_id=fill(_MAX_ID),
        prune=fill(_PRUNE),
        largest_packet=entry.largest_packet,
    )


_SHARED_DUCKDB_PREFIXES = ("md:", "motherduck:")


def one_process_database(config: Any, label: str) -> str:
    """Which database a config of a ``process`` dialect (DuckDB) opens, as a key of this process.

    Raises:
        ImproperConfigurationError: for a use that other processes can share (a read-only file, which several
            processes may open and none can publish to; MotherDuck), where this process's wake-ups and its lock
            would not reach every publisher and reader.
    """
    connection_config = getattr(config, "connection_config", None) or {}
    database = str(connection_config.get("database") or ":memory:")
    if connection_config.get("read_only"):
        msg = (
            f"{label}: the channels backend needs a writable DuckDB database; read_only=True lets other processes "
            f"open {database!r} too, and none of them can publish"
        )
        raise ImproperConfigurationError(msg)
    if database.lower().startswith(_SHARED_DUCKDB_PREFIXES):
        msg = (
            f"{label}: the channels backend works on a DuckDB database of one process, and {database!r} is shared "
            "with other processes (MotherDuck); use PostgreSQL, MySQL or a SQLite file for channels across processes"
        )
        raise ImproperConfigurationError(msg)
    if database.startswith(":memory:"):
        return database
    return str(Path(database).resolve())
