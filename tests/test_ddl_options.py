"""sqlspec's per-adapter store keys (``fillfactor``, ``table_options``, Oracle's ``partitioning`` …) are accepted,
validated alike by the plugin and a standalone store, and shape the store table's DDL where the dialect has them.

Live: PostgreSQL's reloptions (``create_table()`` and the ``ext_litestar_`` migration) and MariaDB's table and index
options. Without a server here (Oracle, CockroachDB, Spanner, BigQuery): the DDL is parsed by sqlglot where it can,
and checked as text against the engines' syntax where sqlglot does not know a clause.
"""

import ast
import re
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest
import sqlglot
import sqlspec.adapters
from sqlglot import exp
from sqlspec import SQLSpec
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.oracledb import OracleSyncConfig
from sqlspec.adapters.psycopg import PsycopgSyncConfig
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import SQLSpecPlugin, SQLSpecStore
from litestar_sqlspec.ddl_options import DDL_OPTION_KEYS, DDL_OPTIONS, ddl_clauses
from litestar_sqlspec.dialects import store_statements_for
from litestar_sqlspec.settings import LitestarConfig, read_settings
from tests.databases import PG_DSN, make_database, require_mariadb
from tests.test_cli_migrations import Project

ADAPTERS = Path(next(iter(sqlspec.adapters.__path__)))
EXECUTE_IMMEDIATE = re.compile(r"EXECUTE IMMEDIATE '(.*?)'; EXCEPTION")


def sqlspec_store_keys() -> dict[str, set[str]]:
    """Per adapter, the ``extension_config["litestar"]`` keys its sqlspec store accepts beyond the common ones.

    Read from the source (``extension_config_options``): several adapters' drivers are not installed here.
    """
    found: dict[str, set[str]] = {}
    for store in sorted(ADAPTERS.glob("*/litestar/store.py")):
        for node in ast.walk(ast.parse(store.read_text())):
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "extension_config_options" for target in node.targets
            ):
                keys = {item.value for item in ast.walk(node.value) if isinstance(item, ast.Constant)}
                found.setdefault(store.parent.parent.name, set()).update(str(key) for key in keys)
    return found


def test_every_key_of_every_sqlspec_store_is_a_key_here() -> None:
    per_adapter = sqlspec_store_keys()
    assert len(per_adapter) >= 10, per_adapter  # the stores that add keys of their own
    every = set().union(*per_adapter.values())
    assert {"fillfactor", "shard_count", "partitioning", "table_options", "pragma_profile"} <= every
    assert every <= set(LitestarConfig.__annotations__)
    assert every <= set(DDL_OPTION_KEYS)


def test_each_ddl_option_is_a_litestar_config_key_and_each_rendered_dialect_renders_only_known_slots() -> None:
    assert set(DDL_OPTION_KEYS) <= set(LitestarConfig.__annotations__)
    assert set(DDL_OPTIONS) == {"postgres", "mysql", "oracle", "cockroachdb", "spanner", "bigquery"}


GOOD = {
    "fillfactor": 80,
    "autovacuum_vacuum_scale_factor": 0.05,
    "autovacuum_analyze_scale_factor": 0,
    "enable_hash_sharded_indexes": True,
    "hash_shard_bucket_count": 16,
    "ttl_expiration_expression": "expires_at",
    "shard_count": 8,
    "in_memory": False,
    "compression": {"enabled": True, "algorithm": "basic"},
    "partitioning": {"strategy": "hash", "partition_count": 4},
    "table_options": "PCTFREE 20",
    "index_options": "",
    "partition_expiration_days": 30,
    "require_partition_filter": False,
    "pragma_profile": True,
    "pragma_overrides": {"cache_size": -64000, "foreign_keys": True, "journal_mode": "wal"},
}


def sqlite_config(**litestar: Any) -> AiosqliteConfig:
    return AiosqliteConfig(connection_config={"database": "unused.db"}, extension_config={"litestar": litestar})


def test_every_key_accepts_sqlspecs_values_on_any_config() -> None:
    assert set(GOOD) == set(DDL_OPTION_KEYS)
    read_settings(sqlite_config(**GOOD))
    SQLSpecStore(sqlite_config(**GOOD))
    read_settings(sqlite_config(partitioning=True))  # BigQuery's form


BAD = [
    ({"fillfactor": 9}, "fillfactor=9 must be an int from 10 to 100"),
    ({"fillfactor": 101}, "fillfactor=101 must be an int from 10 to 100"),
    ({"fillfactor": 80.0}, "fillfactor=80.0 must be an int from 10 to 100"),
    ({"fillfactor": True}, "fillfactor=True must be an int from 10 to 100"),
    ({"autovacuum_vacuum_scale_factor": 1.5}, "autovacuum_vacuum_scale_factor=1.5 must be a number from 0 to 1"),
    ({"autovacuum_analyze_scale_factor": "0.1"}, "autovacuum_analyze_scale_factor='0.1' must be a number from 0 to 1"),
    ({"autovacuum_analyze_scale_factor": float("nan")}, "autovacuum_analyze_scale_factor=nan must be a number"),
    ({"hash_shard_bucket_count": 1}, "hash_shard_bucket_count=1 must be an int from 2 to 2048"),
    ({"enable_hash_sharded_indexes": "yes"}, "enable_hash_sharded_indexes='yes' must be a bool"),
    ({"ttl_expiration_expression": "created_at"}, "must be True, False or 'expires_at'"),
    ({"shard_count": -1}, "shard_count=-1 must be an int of at least 0"),
    ({"in_memory": 1}, "in_memory=1 must be a bool"),
    ({"compression": True}, "compression=True must be a dict with the keys enabled, algorithm"),
    ({"compression": {"enabled": True, "algorithm": "zip"}}, "algorithm='zip' must be one of 'basic', 'oltp'"),
    ({"compression": {"enable": True}}, "has unknown key 'enable'; allowed: enabled, algorithm"),
    ({"partitioning": "hash"}, "partitioning='hash' must be a bool (BigQuery) or a dict (Oracle"),
    ({"partitioning": {"strategy": "range"}}, "strategy='range' must be 'hash'; 'range' is not available"),
    ({"partitioning": {"strategy": "list"}}, "strategy='list' must be 'hash'"),
    ({"partitioning": {"strategy": "hash", "partitions": 1}}, "partitions=1 must be an int from 2 to 1048575"),
    ({"partitioning": {"strategy": "hash", "partition_key": "expires_at"}}, "partition_key='expires_at' must be one"),
    ({"table_options": 3}, "table_options=3 must be a str"),
    ({"index_options": b"x"}, "index_options=b'x' must be a str"),
    ({"partition_expiration_days": 0}, "partition_expiration_days=0 must be an int of at least 1"),
    ({"require_partition_filter": None, "pragma_profile": "on"}, "pragma_profile='on' must be a bool"),
    ({"pragma_overrides": {"cache size": 1}}, "has PRAGMA name 'cache size'"),
    ({"pragma_overrides": {"journal_mode": "wal; DROP"}}, "has journal_mode='wal; DROP'; allowed values"),
]


@pytest.mark.parametrize(("options", "message"), BAD)
def test_a_bad_value_is_refused_alike_by_the_plugin_and_a_standalone_store(options: Any, message: str) -> None:
    config = AiosqliteConfig(
        connection_config={"database": "unused.db"}, extension_config={"litestar": options}, bind_key="main"
    )
    spec = SQLSpec()
    spec.add_config(config)
    with pytest.raises(ImproperConfigurationError) as by_plugin:
        SQLSpecPlugin(spec)
    with pytest.raises(ImproperConfigurationError) as by_store:
        SQLSpecStore(config)
    assert str(by_plugin.value) == str(by_store.value)
    assert str(by_plugin.value).startswith("AiosqliteConfig(bind_key='main'): extension_config[\"litestar\"] ")
    assert message in str(by_plugin.value)


def postgres_ddl(**litestar: Any) -> tuple[str, ...]:
    config = PsycopgSyncConfig(connection_config={"conninfo": PG_DSN}, extension_config={"litestar": litestar})
    return store_statements_for(config, "app.sessions").create_table


def test_postgres_ddl_carries_the_storage_parameters_and_parses() -> None:
    table, index = postgres_ddl(fillfactor=70, autovacuum_vacuum_scale_factor=0.01, autovacuum_analyze_scale_factor=1)
    assert table.endswith(
        "PRIMARY KEY (ns, store_key)) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, "
        "autovacuum_analyze_scale_factor = 1)"
    )
    properties = sqlglot.parse_one(table, read="postgres").find(exp.Properties)
    assert properties is not None
    assert [prop.sql("postgres") for prop in properties.expressions] == [
        "fillfactor=70",
        "autovacuum_vacuum_scale_factor=0.01",
        "autovacuum_analyze_scale_factor=1",
    ]
    assert isinstance(sqlglot.parse_one(index, read="postgres"), exp.Create)
    assert postgres_ddl(fillfactor=90)[0].endswith("store_key)) WITH (fillfactor = 90)")
    assert postgres_ddl()[0].endswith("PRIMARY KEY (ns, store_key))")  # unset: the server's defaults
    assert postgres_ddl(table_options="TABLESPACE x", shard_count=4, in_memory=True) == postgres_ddl()


def oracle_ddl(**litestar: Any) -> list[str]:
    config = OracleSyncConfig(
        connection_config={"dsn": "127.0.0.1:1/FREEPDB1"}, extension_config={"litestar": litestar}
    )
    blocks = store_statements_for(config, "sessions").create_table
    return [match.replace("''", "'") for block in blocks for match in EXECUTE_IMMEDIATE.findall(block)]


# sqlglot parses an Oracle CREATE TABLE with segment attributes and plain partitioning, not these clauses (it falls
# back to an opaque command): they are checked as text, and the rest must parse as a real CREATE TABLE.
SQLGLOT_UNKNOWN = re.compile(
    r" (ROW STORE COMPRESS \w+|COLUMN STORE COMPRESS FOR \w+ \w+|INMEMORY PRIORITY HIGH)|(?<=\)) PARTITIONS \d+"
)


@pytest.mark.parametrize(
    ("litestar", "clauses"),
    [
        ({}, ""),
        ({"in_memory": True}, " INMEMORY PRIORITY HIGH"),
        ({"compression": {"enabled": True}}, " ROW STORE COMPRESS ADVANCED"),
        ({"compression": {"enabled": False, "algorithm": "basic"}}, ""),
        ({"compression": {"enabled": True, "algorithm": "ARCHIVE_HIGH"}}, " COLUMN STORE COMPRESS FOR ARCHIVE HIGH"),
        ({"partitioning": {"strategy": "hash"}}, " PARTITION BY HASH (store_key) PARTITIONS 16"),
        (
            {"partitioning": {"strategy": "HASH", "partition_key": "ns", "partitions": 4}},
            " PARTITION BY HASH (ns) PARTITIONS 4",
        ),
        (
            {"partitioning": {"strategy": "hash", "partition_key": "ns", "session_partition_key": "session_id"}},
            " PARTITION BY HASH (store_key) PARTITIONS 16",
        ),
        ({"partitioning": True}, ""),  # BigQuery's form: nothing on Oracle
        ({"table_options": " PCTFREE 20 TABLESPACE users "}, " PCTFREE 20 TABLESPACE users"),
        (
            {
                "compression": {"enabled": True, "algorithm": "oltp"},
                "in_memory": True,
                "table_options": "PCTFREE 20",
                "partitioning": {"strategy": "hash", "partition_count": 8},
            },
            " ROW STORE COMPRESS ADVANCED INMEMORY PRIORITY HIGH PCTFREE 20 PARTITION BY HASH (store_key) PARTITIONS 8",
        ),
    ],
)
def test_oracle_ddl_carries_the_table_clauses_and_parses(litestar: dict[str, Any], clauses: str) -> None:
    table, index = oracle_ddl(**litestar)
    assert table.endswith(f"CONSTRAINT sessions_pk PRIMARY KEY (ns, store_key)){clauses}")
    known = SQLGLOT_UNKNOWN.sub("", table)
    assert isinstance(sqlglot.parse_one(known, read="oracle"), exp.Create), known
    assert isinstance(sqlglot.parse_one(index, read="oracle"), exp.Create)


def test_oracle_table_options_with_quotes_stay_inside_the_plsql_literal() -> None:
    config = OracleSyncConfig(
        connection_config={"dsn": "127.0.0.1:1/FREEPDB1"},
        extension_config={"litestar": {"table_options": 'TABLESPACE "it\'s"'}},
    )
    block = store_statements_for(config, "sessions").create_table[0]
    assert "TABLESPACE \"it''s\"'; EXCEPTION" in block
    assert oracle_ddl(table_options='TABLESPACE "it\'s"')[0].endswith('TABLESPACE "it\'s"')


def test_the_dialects_without_a_store_entry_get_their_clauses_from_one_function() -> None:
    cockroach = ddl_clauses(
        "cockroachdb", {"ttl_expiration_expression": True, "enable_hash_sharded_indexes": True, "fillfactor": 70}
    )
    assert cockroach["options"] == " WITH (ttl_expiration_expression = 'to_timestamp(expires_at)')"
    assert cockroach["index_options"] == " USING HASH"
    sharded = ddl_clauses("cockroachdb", {"enable_hash_sharded_indexes": True, "hash_shard_bucket_count": 8})
    assert sharded == {**dict.fromkeys(cockroach, ""), "index_options": " USING HASH WITH (bucket_count = 8)"}
    assert ddl_clauses("cockroachdb", {"hash_shard_bucket_count": 8})["index_options"] == ""

    spanner = ddl_clauses("spanner", {"shard_count": 4, "table_options": "x = 1", "index_options": "y = 2"})
    assert spanner == {
        "options": " OPTIONS (x = 1)",
        "index_options": " OPTIONS (y = 2)",
        "shard_column": ", shard_id INT64 AS (MOD(FARM_FINGERPRINT(store_key), 4)) STORED",
        "key_prefix": "shard_id, ",
    }
    assert ddl_clauses("spanner", {"shard_count": 1})["key_prefix"] == ""

    bigquery = ddl_clauses("bigquery", {"require_partition_filter": True, "partition_expiration_days": 7})
    assert bigquery["options"] == (
        " PARTITION BY DATE(expires_at) OPTIONS (require_partition_filter = TRUE, partition_expiration_days = 7)"
    )
    assert ddl_clauses("bigquery", {"partitioning": True})["options"] == " PARTITION BY DATE(expires_at)"
    assert ddl_clauses("bigquery", {"partitioning": False})["options"] == ""
    table = f"CREATE TABLE s.t (ns STRING, store_key BYTES, expires_at TIMESTAMP){bigquery['options']}"
    assert sqlglot.parse_one(table, read="bigquery").sql("bigquery") == table.replace(" = ", "=")

    assert ddl_clauses("sqlite", GOOD) == dict.fromkeys(cockroach, "")  # SQLite and DuckDB have none


@pytest.fixture
def pg_table(tmp_path: Path) -> Iterator[str]:
    table = f"ddl_opts_{uuid.uuid4().hex[:10]}"
    yield table
    make_database("psycopg_sync", tmp_path).execute(f"DROP TABLE IF EXISTS {table}")


TUNED = {"fillfactor": 70, "autovacuum_vacuum_scale_factor": 0.01, "autovacuum_analyze_scale_factor": 0.005}
RELOPTIONS = ["fillfactor=70", "autovacuum_vacuum_scale_factor=0.01", "autovacuum_analyze_scale_factor=0.005"]


def reloptions(table: str, tmp_path: Path) -> Any:
    database = make_database("psycopg_sync", tmp_path)
    return database.scalar(f"SELECT reloptions FROM pg_class WHERE relname = '{table}'")


@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync"])
async def test_on_postgresql_create_table_sets_the_storage_parameters(kind: str, pg_table: str, tmp_path: Path) -> None:
    config = make_database(kind, tmp_path).config(session_table=pg_table, **TUNED)
    store = SQLSpecStore(config)
    await store.create_table()
    assert reloptions(pg_table, tmp_path) == RELOPTIONS
    await store.set("k", b"v")
    assert await store.get("k") == b"v"


def test_on_postgresql_the_migration_sets_the_storage_parameters(
    pg_table: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    litestar = {"session_table": pg_table, "create_schema": False, **TUNED}
    migrations = {
        "script_location": "migrations",
        "include_extensions": ["litestar"],
        "version_table_name": f"ddl_migrations_{pg_table}",
    }
    project = Project(
        tmp_path,
        textwrap.dedent(f"""
            from litestar import Litestar
            from sqlspec import SQLSpec
            from sqlspec.adapters.psycopg import PsycopgSyncConfig
            from litestar_sqlspec import SQLSpecPlugin
            spec = SQLSpec()
            spec.add_config(PsycopgSyncConfig(connection_config={{"conninfo": {PG_DSN!r}}},
                migration_config={migrations!r}, extension_config={{"litestar": {litestar!r}}}))
            app = Litestar(plugins=[SQLSpecPlugin(spec)])
        """),
    )
    try:
        project.run("database", "init", "--no-prompt")
        project.run("database", "upgrade", "--no-prompt")
        assert reloptions(pg_table, tmp_path) == RELOPTIONS
    finally:
        make_database("psycopg_sync", tmp_path).execute(f"DROP TABLE IF EXISTS {migrations['version_table_name']}")
        for name in [name for name in sys.modules if name == project.module]:
            del sys.modules[name]


@pytest.mark.parametrize("kind", ["mariadb_async", "mariadb_sync"])
async def test_on_mariadb_table_and_index_options_land(kind: str, tmp_path: Path) -> None:
    settings = require_mariadb()
    table = f"ddl_opts_{uuid.uuid4().hex[:10]}"
    config = make_database(kind, tmp_path).config(
        session_table=table, table_options="COMMENT='litestar store'", index_options="COMMENT 'expiry'"
    )
    store = SQLSpecStore(config)
    connection = pymysql.connect(**settings, autocommit=True)
    try:
        await store.create_table()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_comment FROM information_schema.tables WHERE table_schema = DATABASE() "
                "AND table_name = %s",
                (table,),
            )
            assert cursor.fetchone() == ("litestar store",)
            cursor.execute(
                "SELECT index_comment FROM information_schema.statistics WHERE table_schema = DATABASE() "
                "AND table_name = %s AND index_name = %s",
                (table, f"{table}_expires_idx"),
            )
            assert cursor.fetchone() == ("expiry",)
        await store.set("k", b"v")
        assert await store.get("k") == b"v"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        connection.close()
