"""Adapters whose databases have no store or channels SQL here (Spanner, BigQuery, SQL Server, Db2, arrow-odbc).

No server of theirs can run on this machine. Checked offline: ``SQLSpecStore`` and ``SQLSpecChannelsBackend`` refuse
them at construction, naming the config and the supported databases; the plugin's DI is wired through sqlspec's own
driver, and startup against an unreachable server (or without the driver package) fails naming the config. A config
class that cannot be built without its driver package is skipped when the package is missing (``importorskip``).
"""

import importlib
import importlib.util
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlspec.adapters.db2 import Db2AsyncConfig, Db2SyncConfig
from sqlspec.adapters.sqlite import SqliteConfig
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import SQLSpecChannelsBackend, SQLSpecStore
from litestar_sqlspec._drivers import DRIVERS, sql_dialect_of
from litestar_sqlspec.channel_dialects import channel_statements_for
from litestar_sqlspec.dialects import store_statements_for
from litestar_sqlspec.schema import store_table_ddl
from tests.apps import make_app

STORE_SUPPORTS = "it supports SQLite, PostgreSQL, CockroachDB, MySQL/MariaDB, DuckDB, Oracle"
CHANNELS_SUPPORT = "it supports SQLite, PostgreSQL, Oracle, MySQL/MariaDB, DuckDB"


def config_of(module: str, name: str, **connection: Any) -> Any:
    """``sqlspec.adapters.<module>.<name>`` built over ``connection``; skipped when its driver package is missing."""
    try:
        adapter = importlib.import_module(f"sqlspec.adapters.{module}")
    except (ImportError, OSError) as missing:  # arrow-odbc's package imports only where libodbc is installed
        pytest.skip(f"sqlspec.adapters.{module} cannot be imported here: {missing}")
    return getattr(adapter, name)(connection_config=connection)


UNSUPPORTED = [
    pytest.param(lambda: Db2SyncConfig(connection_config={"database": "test"}), "IBM Db2", id="db2-sync"),
    pytest.param(lambda: Db2AsyncConfig(connection_config={"database": "test"}), "IBM Db2", id="db2-async"),
    pytest.param(lambda: config_of("pymssql", "PymssqlConfig", server="127.0.0.1"), "SQL Server", id="pymssql"),
    pytest.param(
        lambda: config_of("mssql_python", "MssqlPythonConfig", connection_string="Server=127.0.0.1,1"),
        "SQL Server",
        id="mssql_python",
    ),
    pytest.param(
        lambda: config_of("spanner", "SpannerSyncConfig", project="p", instance_id="i", database_id="d"),
        "Google Cloud Spanner",
        id="spanner",
    ),
    pytest.param(lambda: config_of("bigquery", "BigQueryConfig", project="p"), "Google BigQuery", id="bigquery"),
    pytest.param(lambda: config_of("arrow_odbc", "ArrowOdbcConfig"), "arrow-odbc", id="arrow_odbc"),
]


@pytest.mark.parametrize(("make", "database"), UNSUPPORTED)
def test_store_and_channels_refuse_at_construction(make: Any, database: str) -> None:
    config = make()
    name = type(config).__name__
    with pytest.raises(ImproperConfigurationError) as store:
        SQLSpecStore(config)
    assert str(store.value).startswith(f"{name}: the SQL store does not support {database}")
    assert str(store.value).endswith(STORE_SUPPORTS)
    with pytest.raises(ImproperConfigurationError) as channels:
        SQLSpecChannelsBackend(config)
    assert str(channels.value).startswith(f"{name}: the channels backend does not support {database}")
    assert str(channels.value).endswith(CHANNELS_SUPPORT)
    with pytest.raises(ImproperConfigurationError, match=f"^{name}: the SQL store does not support {database}"):
        store_table_ddl(config)  # the extension migration refuses it too


def test_arrow_odbc_is_refused_whatever_database_it_reaches() -> None:
    # arrow-odbc reports the dialect of the database behind ODBC (PostgreSQL, SQLite, …), but its connections move
    # Arrow batches: the store's statements need DB-API cursors. Its driver entry says so, whatever the dialect.
    # (The config itself needs arrow_odbc and libodbc to import: above, skipped here when missing.)
    entry = DRIVERS[("arrow_odbc", False)]
    assert entry.sql_dialect == "odbc"
    carrier = SqliteConfig(connection_config={"database": ":memory:"})  # any config: the dialect is overridden
    with pytest.raises(ImproperConfigurationError, match=r"SqliteConfig: the SQL store does not support arrow-odbc"):
        store_statements_for(carrier, "t", dialect=entry.sql_dialect)
    with pytest.raises(ImproperConfigurationError, match=r"the channels backend does not support arrow-odbc"):
        channel_statements_for(carrier, "t", dialect=entry.sql_dialect)


def test_an_unknown_dialect_is_named() -> None:
    config = SqliteConfig(connection_config={"database": ":memory:"})
    with pytest.raises(ImproperConfigurationError, match=r"does not support the 'teradata' dialect; it supports SQL"):
        store_statements_for(config, "t", dialect="teradata")
    assert sql_dialect_of(config) == "sqlite"


def startup_error(app: Litestar) -> ImproperConfigurationError:
    with pytest.raises(BaseException) as raised, TestClient(app):  # noqa: PT011 - unwrapped below
        pass
    error = raised.value
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    assert isinstance(error, ImproperConfigurationError)
    return error


@pytest.mark.parametrize(
    ("make", "why"),
    [
        # pymssql installs from a wheel: a real connection attempt, refused at port 1
        pytest.param(
            lambda: config_of("pymssql", "PymssqlConfig", server="127.0.0.1", port=1, login_timeout=1),
            "Unable to connect",
            id="pymssql",
        ),
        # ibm_db is not installed here (its install downloads IBM's CLI driver): startup says which package is missing
        pytest.param(
            lambda: Db2SyncConfig(connection_config={"database": "test", "hostname": "127.0.0.1", "port": 1}),
            "'ibm_db' is not installed",
            id="db2-sync",
        ),
        pytest.param(
            lambda: Db2AsyncConfig(connection_config={"database": "test", "hostname": "127.0.0.1", "port": 1}),
            "'ibm_db' is not installed",
            id="db2-async",
        ),
    ],
)
def test_plugin_di_is_wired_and_startup_fails_naming_the_config(make: Any, why: str) -> None:
    if "ibm_db" in why and importlib.util.find_spec("ibm_db") is not None:
        pytest.skip("ibm_db is installed: this checks the message of its absence")
    config = make()
    name = type(config).__name__
    app, plugin = make_app(config, route_handlers=[])
    assert {"db_session", "db_connection", "db_pool"} <= set(app.dependencies)
    assert app.signature_namespace[config.driver_type.__name__] is config.driver_type
    assert plugin.get_config(type(config)) is config
    error = startup_error(app)
    assert str(error).startswith(f"{name}: could not connect at startup: ")
    assert why in str(error)
    assert config.connection_instance is None
