"""CockroachDB, checked without a server (none can run here): the store's SQL parses and is wired to the real configs,
channels are refused with the reason, and startup against an unreachable server fails naming the config.

What is NOT tested: executing these statements on a real CockroachDB cluster.
"""

from typing import Any

import pytest
import sqlglot
from litestar import Litestar, get
from litestar.di import NamedDependency
from litestar.testing import TestClient
from sqlspec.adapters.cockroach_asyncpg import CockroachAsyncpgConfig, CockroachAsyncpgDriver
from sqlspec.adapters.cockroach_psycopg import (
    CockroachPsycopgAsyncConfig,
    CockroachPsycopgAsyncDriver,
    CockroachPsycopgSyncConfig,
    CockroachPsycopgSyncDriver,
)
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import SQLSpecChannelsBackend, SQLSpecStore
from litestar_sqlspec._drivers import driver_for, sql_dialect_of
from litestar_sqlspec.dialects import StoreStatements, compile_statement, store_statements_for
from litestar_sqlspec.schema import store_table_ddl
from tests.apps import make_app

COCKROACH_TYPES = [CockroachAsyncpgConfig, CockroachPsycopgAsyncConfig, CockroachPsycopgSyncConfig]
UNREACHABLE = "postgresql://root@127.0.0.1:1/defaultdb"

CONFIGS = [
    pytest.param(CockroachAsyncpgConfig, CockroachAsyncpgDriver, {"dsn": UNREACHABLE, "timeout": 1}, id="asyncpg"),
    pytest.param(
        CockroachPsycopgAsyncConfig,
        CockroachPsycopgAsyncDriver,
        {"conninfo": UNREACHABLE, "timeout": 1, "min_size": 1},
        id="psycopg-async",
    ),
    pytest.param(
        CockroachPsycopgSyncConfig,
        CockroachPsycopgSyncDriver,
        {"conninfo": UNREACHABLE, "timeout": 1, "min_size": 1},
        id="psycopg-sync",
    ),
]


def cockroach(config_type: Any = CockroachAsyncpgConfig, **litestar: Any) -> Any:
    connection = {"dsn": UNREACHABLE} if config_type is CockroachAsyncpgConfig else {"conninfo": UNREACHABLE}
    return config_type(connection_config=connection, extension_config={"litestar": litestar})


def statements_of(config: Any) -> StoreStatements:
    return store_statements_for(config, "litestar_session", dialect=sql_dialect_of(config))


def every_statement(sql: StoreStatements) -> list[str]:
    assert sql.batch is not None
    batch = [sql.batch.select_values, sql.batch.select_expiries, sql.batch.renew, sql.batch.upsert, sql.batch.delete]
    return [
        *sql.create_table,
        sql.drop_table,
        sql.table_exists,
        sql.upsert,
        sql.select_value,
        *sql.get_and_renew,
        sql.select_expiry,
        sql.delete,
        sql.delete_namespace,
        sql.delete_expired,
        *batch,
    ]


TUNED = {"ttl_expiration_expression": True, "enable_hash_sharded_indexes": True, "hash_shard_bucket_count": 8}


@pytest.mark.parametrize("statement", every_statement(statements_of(cockroach(**TUNED))))
def test_every_cockroach_statement_parses_as_postgres_sql(statement: str) -> None:
    # sqlglot has no CockroachDB dialect; CockroachDB's SQL is PostgreSQL's for these statements. Parsed as the
    # drivers receive them ($n placeholders: ":values" would read as the VALUES keyword).
    text = compile_statement(statement, "numeric").text
    assert sqlglot.parse_one(text, read="postgres") is not None
    assert sqlglot.transpile(text, read="postgres", write="postgres")


@pytest.mark.parametrize("config_type", COCKROACH_TYPES)
def test_cockroach_configs_get_the_cockroach_dialect(config_type: Any) -> None:
    config = cockroach(config_type)
    assert str(config.statement_config.dialect) == "postgres"  # what sqlspec reports
    assert sql_dialect_of(config) == "cockroachdb"
    assert driver_for(config).listen is None
    sql = statements_of(config)
    assert sql.facts.name == "cockroachdb"
    assert "set_config" not in " ".join(every_statement(sql))  # no synchronous_commit there
    assert "to_regclass" not in sql.table_exists
    relaxed = store_statements_for(config, "t", dialect="cockroachdb", synchronous_commit=False)
    assert "set_config" not in relaxed.upsert


def test_cockroach_ddl_options_are_applied() -> None:
    plain = statements_of(cockroach())
    assert plain.create_table[0].endswith("PRIMARY KEY (ns, store_key))")
    assert plain.create_table[1].endswith("ON litestar_session (expires_at)")
    tuned = statements_of(cockroach(**TUNED))
    assert tuned.create_table[0].endswith("WITH (ttl_expiration_expression = 'to_timestamp(expires_at)')")
    assert tuned.create_table[1].endswith("(expires_at) USING HASH WITH (bucket_count = 8)")
    assert statements_of(cockroach(enable_hash_sharded_indexes=True)).create_table[1].endswith("USING HASH")
    # PostgreSQL's reloptions are not CockroachDB's
    assert "fillfactor" not in statements_of(cockroach(fillfactor=80)).create_table[0]
    with pytest.raises(ImproperConfigurationError, match="hash_shard_bucket_count=1 must be an int from 2 to 2048"):
        SQLSpecStore(cockroach(hash_shard_bucket_count=1))


def test_the_extension_migration_creates_the_cockroach_table() -> None:
    create, drop = store_table_ddl(cockroach(**TUNED))
    assert create == list(statements_of(cockroach(**TUNED)).create_table)
    assert drop == ["DROP TABLE IF EXISTS litestar_session"]


@pytest.mark.parametrize("config_type", COCKROACH_TYPES)
def test_cockroach_configs_get_a_store_and_channels_are_refused(config_type: Any) -> None:
    store = SQLSpecStore(cockroach(config_type, session_table="app_sessions"), namespace="app")
    assert store.table_name == "app_sessions"
    assert store.with_namespace("cache").namespace == "app/cache"
    with pytest.raises(ImproperConfigurationError) as refused:
        SQLSpecChannelsBackend(cockroach(config_type))
    message = str(refused.value)
    assert message.startswith(f"{config_type.__name__}: the channels backend does not support CockroachDB: ")
    assert "LISTEN/NOTIFY" in message
    assert "advisory locks" in message
    assert "unique_rowid" in message
    assert message.endswith("it supports SQLite, PostgreSQL, Oracle, MySQL/MariaDB, DuckDB")


def startup_error(app: Litestar) -> ImproperConfigurationError:
    with pytest.raises(BaseException) as raised, TestClient(app):  # noqa: PT011 - unwrapped below
        pass
    error = raised.value
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    assert isinstance(error, ImproperConfigurationError)
    return error


@pytest.mark.parametrize(("config_type", "driver_type", "connection"), CONFIGS)
def test_cockroach_configs_are_wired_and_an_unreachable_server_fails_startup(
    config_type: Any, driver_type: Any, connection: dict[str, Any]
) -> None:
    config = config_type(connection_config=connection, bind_key="crdb", extension_config={"litestar": {}})

    @get("/kind")
    async def kind(crdb_session: NamedDependency[Any]) -> str:
        return type(crdb_session).__name__

    config.extension_config["litestar"].update(session_key="crdb_session", connection_key="crdb_connection")
    config.extension_config["litestar"]["pool_key"] = "crdb_pool"
    app, plugin = make_app(config, route_handlers=[kind], stores={"sessions": SQLSpecStore(config)})
    assert {"crdb_session", "crdb_connection", "crdb_pool"} <= set(app.dependencies)
    assert app.signature_namespace[driver_type.__name__] is driver_type
    assert plugin.get_config("crdb") is config
    error = startup_error(app)
    assert f"{config_type.__name__}(bind_key='crdb'): could not connect at startup" in str(error)
    assert config.connection_instance is None  # the half-opened pool was closed
