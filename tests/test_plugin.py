"""The plugin's lookups, state, loader, CLI registration and error paths (flavour-independent)."""

from pathlib import Path
from typing import Any

import anyio
import click
import pytest
from litestar import Litestar, Request, get
from litestar.di import NamedDependency
from litestar.testing import AsyncTestClient, TestClient
from sqlspec import SQLSpec
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.oracledb import OracleAsyncConfig, OracleAsyncDriver, OracleSyncConfig, OracleSyncDriver
from sqlspec.adapters.psycopg import PsycopgAsyncConfig
from sqlspec.adapters.sqlite import SqliteConfig
from sqlspec.exceptions import ImproperConfigurationError
from sqlspec.loader import SQLFileLoader

from litestar_sqlspec import DEFAULT_LOADER_KEY, SQLSpecPlugin
from litestar_sqlspec._runtime import LEASES_KEY
from tests.apps import make_app


def aiosqlite(path: Path, bind_key: str | None = None, **litestar: Any) -> AiosqliteConfig:
    return AiosqliteConfig(
        connection_config={"database": str(path)}, bind_key=bind_key, extension_config={"litestar": litestar}
    )


def test_configs_are_found_by_instance_type_bind_key_and_dependency_key(tmp_path: Path) -> None:
    first = aiosqlite(tmp_path / "a.db", bind_key="primary")
    second = aiosqlite(
        tmp_path / "b.db",
        bind_key="reports",
        session_key="reports_session",
        connection_key="reports_connection",
        pool_key="reports_pool",
    )
    third = SqliteConfig(
        connection_config={"database": str(tmp_path / "c.db")},
        bind_key="legacy",
        extension_config={
            "litestar": {
                "session_key": "legacy_session",
                "connection_key": "legacy_connection",
                "pool_key": "legacy_pool",
            }
        },
    )
    _, plugin = make_app(first, second, third, route_handlers=[])
    assert plugin.config == [first, second, third]
    assert plugin.get_config(second) is second
    assert plugin.get_config(SqliteConfig) is third
    assert plugin.get_config("reports") is second
    assert plugin.get_config("reports_connection") is second
    assert plugin.get_config("db_pool") is first
    assert plugin.get_annotation("legacy") is SqliteConfig
    assert plugin.get_annotations() == [AiosqliteConfig, AiosqliteConfig, SqliteConfig]
    with pytest.raises(KeyError, match="2 configs are of type AiosqliteConfig; use a bind key to pick one: 'primary'"):
        plugin.get_config(AiosqliteConfig)
    with pytest.raises(KeyError, match="no database config matches 'nope'; known configs: AiosqliteConfig"):
        plugin.get_config("nope")


def test_sqlspec_plugin_and_loader_are_exposed(tmp_path: Path) -> None:
    sql_file = tmp_path / "queries.sql"
    sql_file.write_text("-- name: count_one\nSELECT 1\n")
    loader = SQLFileLoader()
    loader.load_sql(sql_file)

    @get("/queries")
    async def queries(sql_loader: NamedDependency[SQLFileLoader]) -> list[str]:
        return sql_loader.list_queries()

    spec = SQLSpec()
    spec.add_config(aiosqlite(tmp_path / "a.db"))
    plugin = SQLSpecPlugin(spec, loader=loader)
    app = Litestar(route_handlers=[queries], plugins=[plugin])
    assert plugin.loader is loader
    assert app.state[DEFAULT_LOADER_KEY] is loader
    with TestClient(app) as client:
        assert client.get("/queries").json() == ["count_one"]


def test_database_commands_are_registered_under_both_names(tmp_path: Path) -> None:
    _, plugin = make_app(aiosqlite(tmp_path / "a.db"), route_handlers=[])
    cli = click.Group()
    plugin.on_cli_init(cli)
    assert set(cli.commands) == {"database", "db"}
    assert {"upgrade", "downgrade", "init", "create-migration"} <= set(cli.commands["db"].commands)  # type: ignore[attr-defined]


async def test_on_demand_access_outside_the_plugins_middleware_is_refused(tmp_path: Path) -> None:
    config = aiosqlite(tmp_path / "a.db")
    app, plugin = make_app(config, route_handlers=[])
    scope: Any = {"type": "http", "state": {}}
    with pytest.raises(ImproperConfigurationError, match="not inside a request handled by SQLSpecPlugin's middleware"):
        await plugin.provide_request_session_async(config, app.state, scope)


async def test_sync_accessors_refuse_an_async_config_without_a_connection(tmp_path: Path) -> None:
    # A sync config's connection is checked out even on the event loop: tests/test_on_demand_on_loop.py
    async_config = aiosqlite(tmp_path / "a.db")
    app, plugin = make_app(async_config, route_handlers=[])
    scope: Any = {"type": "http", "state": {LEASES_KEY: {}}}
    with pytest.raises(ImproperConfigurationError, match=r"is async: use `await plugin\.provide_request_session_async"):
        plugin.provide_request_session(async_config, app.state, scope)
    with pytest.raises(ImproperConfigurationError, match=r"is async: use `await plugin\.provide_request_session_async"):
        plugin.provide_request_connection_sync(async_config, app.state, scope)


async def test_a_closed_pool_is_reported_not_recreated(tmp_path: Path) -> None:
    config = aiosqlite(tmp_path / "a.db")
    app, plugin = make_app(config, route_handlers=[])
    async with AsyncTestClient(app=app):
        pass
    scope: Any = {"type": "http", "state": {LEASES_KEY: {}}}
    with pytest.raises(ImproperConfigurationError, match="the connection pool is closed"):
        await plugin.provide_request_session_async(config, app.state, scope)
    assert config.connection_instance is None


def startup_error(app: Litestar) -> ImproperConfigurationError:
    """The error that fails ``app``'s startup (the test client wraps it in exception groups)."""
    with pytest.raises(BaseException) as raised, TestClient(app):  # noqa: PT011 - unwrapped below
        pass
    error = raised.value
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    assert isinstance(error, ImproperConfigurationError)
    return error


def test_unreachable_database_fails_startup_naming_the_config() -> None:
    config = PsycopgAsyncConfig(
        connection_config={"conninfo": "postgresql://postgres@127.0.0.1:1/test", "timeout": 1, "min_size": 1},
        bind_key="orders",
    )
    app, _ = make_app(config, route_handlers=[])
    error = startup_error(app)
    assert "PsycopgAsyncConfig(bind_key='orders'): could not connect at startup" in str(error)
    assert config.connection_instance is None  # the half-opened pool was closed


@pytest.mark.parametrize(
    ("config_type", "driver_type"), [(OracleAsyncConfig, OracleAsyncDriver), (OracleSyncConfig, OracleSyncDriver)]
)
def test_oracle_configs_are_wired_without_a_server(config_type: Any, driver_type: Any) -> None:
    # No Oracle server can run here: this checks everything that needs none. Startup fails naming the config.
    config = config_type(
        connection_config={"dsn": "127.0.0.1:1/FREEPDB1", "user": "app", "password": "secret"},
        extension_config={"litestar": {"commit_mode": "autocommit"}},
    )

    @get("/oracle")
    async def oracle(db_session: NamedDependency[Any]) -> str:
        return type(db_session).__name__

    app, plugin = make_app(config, route_handlers=[oracle])
    assert {"db_session", "db_connection", "db_pool"} <= set(app.dependencies)
    assert app.signature_namespace[driver_type.__name__] is driver_type
    assert plugin.get_config(config_type) is config
    error = startup_error(app)
    assert f"{config_type.__name__}: could not connect at startup" in str(error)
    assert config.connection_instance is None  # the half-opened pool was closed


@pytest.mark.parametrize(
    ("options", "pool_at_startup", "has_dependencies"),
    [
        ({"disable_di": True}, False, False),
        ({"disable_di": True, "manage_lifespan": True}, True, False),
        ({"manage_lifespan": False}, False, True),
        ({}, True, True),
    ],
)
def test_disable_di_and_manage_lifespan_combine(
    tmp_path: Path, options: dict[str, Any], pool_at_startup: bool, has_dependencies: bool
) -> None:
    config = aiosqlite(tmp_path / "a.db", **options)

    @get("/count")
    async def count(db_session: NamedDependency[Any]) -> int:
        return int(await db_session.select_value("SELECT 1"))

    @get("/pool")
    async def pool(db_pool: NamedDependency[Any]) -> bool:
        return db_pool is config.connection_instance

    app, _ = make_app(config, route_handlers=[count, pool] if has_dependencies else [])
    assert ("db_session" in app.dependencies) is has_dependencies
    with TestClient(app) as client:
        assert ("db_pool" in app.state) is pool_at_startup
        assert (config.connection_instance is not None) is pool_at_startup
        if has_dependencies:
            assert client.get("/count").json() == 1  # without a managed lifespan the pool is made on first use
            assert client.get("/pool").json() is True  # the config's own pool, whoever opened it
    if not pool_at_startup and has_dependencies:
        assert config.connection_instance is not None  # the app does not own it: still open
        anyio.run(config.close_pool)
    assert config.connection_instance is None


async def test_a_finished_request_cannot_check_a_connection_out(tmp_path: Path) -> None:
    config = aiosqlite(tmp_path / "a.db")
    kept: dict[str, Any] = {}

    @get("/keep")
    async def keep(request: Request[Any, Any, Any]) -> None:
        kept["scope"] = request.scope

    app, plugin = make_app(config, route_handlers=[keep])
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/keep")).status_code == 200
        with pytest.raises(ImproperConfigurationError, match="is the request still running"):
            await plugin.provide_request_session_async(config, app.state, kept["scope"])
        assert config.connection_instance is not None
        assert config.connection_instance.checked_out() == 0


def test_a_config_added_after_the_plugin_also_uses_this_packages_migrations(tmp_path: Path) -> None:
    spec = SQLSpec()
    first = spec.add_config(aiosqlite(tmp_path / "a.db", bind_key="a"))
    plugin = SQLSpecPlugin(spec)
    later = spec.add_config(aiosqlite(tmp_path / "b.db", bind_key="b", disable_di=True))
    Litestar(plugins=[plugin])
    for config in (first, later):
        litestar: Any = config.extension_config["litestar"]
        assert litestar["migrations_path"] == "litestar_sqlspec:migrations"
