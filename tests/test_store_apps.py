"""The SQL store behind real Litestar features: server-side sessions and the response cache."""

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Request, get, post
from litestar.di import NamedDependency
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.stores.registry import StoreRegistry
from litestar.testing import TestClient
from sqlspec import SQLSpec
from sqlspec.driver import AsyncDriverAdapterBase, SyncDriverAdapterBase
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import SQLSpecPlugin, SQLSpecStore
from tests.databases import STORE_KINDS, Database, make_database


@post("/login")
async def login(request: Request[Any, Any, Any]) -> None:
    request.set_session({"user": "ada"})


@get("/me")
async def me(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return dict(request.session)


@post("/logout")
async def logout(request: Request[Any, Any, Any]) -> None:
    request.clear_session()


CALLS = {"count": 0}


@get("/cached", cache=60)
async def cached() -> int:
    CALLS["count"] += 1
    return CALLS["count"]


def app_on(database: Database, **litestar: Any) -> Litestar:
    config = database.config(default_store=True, **litestar)
    spec = SQLSpec()
    spec.add_config(config)
    sessions = ServerSideSessionConfig(max_age=3600)
    return Litestar(
        route_handlers=[login, me, logout, cached], plugins=[SQLSpecPlugin(spec)], middleware=[sessions.middleware]
    )


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_server_side_sessions_and_response_cache_live_in_the_database(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    table = f"sessions_{kind}"
    app = app_on(database, session_table=table)
    try:
        with TestClient(app) as client:
            assert client.get("/me").json() == {}
            assert client.post("/login").status_code == 201
            assert client.get("/me").json() == {"user": "ada"}
            first = client.get("/cached").json()
            assert client.get("/cached").json() == first  # served from the store
        # a new app process on the same database still knows the session (the cookie carries only its id)
        app_again = app_on(database, session_table=table)
        with TestClient(app_again, cookies=client.cookies) as client_again:
            assert client_again.get("/me").json() == {"user": "ada"}
            assert client_again.post("/logout").status_code == 201
            assert client_again.get("/me").json() == {}
        if database.dialect == "sqlite":
            assert database.sqlite_path is not None
            with sqlite3.connect(database.sqlite_path) as connection:
                rows = connection.execute(f"SELECT ns, store_value FROM {table}").fetchall()
            assert {namespace for namespace, _ in rows} <= {"litestar/response_cache", "litestar/sessions"}
            assert not [value for namespace, value in rows if namespace == "litestar/sessions" and b"ada" in value]
    finally:
        database.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.mark.parametrize("kind", ["aiosqlite", "sqlite"])
def test_a_request_that_writes_and_signs_in_commits_both_to_one_sqlite_file(kind: str, tmp_path: Path) -> None:
    """The session middleware saves the session as the response starts: after the request's transaction ended.

    (Saved before, on another connection of the same SQLite file, it waited for the request's own write lock and failed
    with "database is locked".)
    """
    database = make_database(kind, tmp_path)
    database.setup()
    insert = database.insert_sql()

    @post("/signup")
    async def sign_up(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncDriverAdapterBase]) -> None:
        await db_session.execute(insert, {"name": "ada"})
        request.set_session({"user": "ada"})

    @post("/signup", sync_to_thread=True)
    def sign_up_sync(request: Request[Any, Any, Any], db_session: NamedDependency[SyncDriverAdapterBase]) -> None:
        db_session.execute(insert, {"name": "ada"})
        request.set_session({"user": "ada"})

    config = database.config(default_store=True, commit_mode="autocommit")
    spec = SQLSpec()
    spec.add_config(config)
    app = Litestar(
        route_handlers=[sign_up if config.is_async else sign_up_sync, me],
        plugins=[SQLSpecPlugin(spec)],
        middleware=[ServerSideSessionConfig().middleware],
    )
    with TestClient(app) as client:
        assert client.post("/signup").status_code == 201
        assert client.get("/me").json() == {"user": "ada"}
    assert database.names() == ["ada"]


def test_explicit_registry_wiring_works(tmp_path: Path) -> None:
    database = make_database("aiosqlite", tmp_path)
    config = database.config()
    store = SQLSpecStore(config, namespace="app")
    spec = SQLSpec()
    spec.add_config(config)
    app = Litestar(
        route_handlers=[cached],
        plugins=[SQLSpecPlugin(spec)],
        stores=StoreRegistry(default_factory=store.with_namespace),
    )
    with TestClient(app) as client:
        assert client.get("/cached").json() == client.get("/cached").json()
    assert app.stores.get("response_cache").namespace == "app/response_cache"  # type: ignore[attr-defined]


def test_default_store_conflicts_are_reported(tmp_path: Path) -> None:
    database = make_database("aiosqlite", tmp_path)
    spec = SQLSpec()
    spec.add_config(database.config(default_store=True))
    with pytest.raises(ImproperConfigurationError, match="already has a StoreRegistry"):
        Litestar(plugins=[SQLSpecPlugin(spec)], stores=StoreRegistry())
    spec.add_config(database.config(default_store=True, session_key="s2", connection_key="c2", pool_key="p2"))
    with pytest.raises(ImproperConfigurationError, match="is set on several configs"):
        Litestar(plugins=[SQLSpecPlugin(spec)])


def test_the_lifespan_deletes_expired_rows_when_asked(tmp_path: Path) -> None:
    database = make_database("aiosqlite", tmp_path)
    config = database.config(session_table="cleaned", cleanup_interval=0.05)
    spec = SQLSpec()
    spec.add_config(config)
    app = Litestar(plugins=[SQLSpecPlugin(spec)])
    store = SQLSpecStore(config, namespace="any")
    assert database.sqlite_path is not None

    def rows() -> int:
        with sqlite3.connect(database.sqlite_path) as connection:  # type: ignore[arg-type]
            return int(connection.execute("SELECT COUNT(*) FROM cleaned").fetchone()[0])

    with TestClient(app) as client:
        client.blocking_portal.call(store.set, "expired", b"x", -1)
        client.blocking_portal.call(store.set, "kept", b"y", 3600)
        deadline = time.monotonic() + 5
        while rows() != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert rows() == 1
        assert client.blocking_portal.call(store.get, "kept") == b"y"


@pytest.mark.parametrize("interval", [0, -1, "10", True])
def test_a_bad_cleanup_interval_is_rejected(tmp_path: Path, interval: Any) -> None:
    spec = SQLSpec()
    spec.add_config(make_database("aiosqlite", tmp_path).config(cleanup_interval=interval))
    with pytest.raises(ImproperConfigurationError, match=r"cleanup_interval=.* must be a positive number of seconds"):
        SQLSpecPlugin(spec)
