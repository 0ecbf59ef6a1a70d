"""A sync config's connection on demand from code on the event loop (async guards): it works, and warns once.

Written by hand (not generated): it is about the loop, which only the async side has.
"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from litestar import post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.testing import TestClient
from sqlspec.adapters.psycopg import PsycopgSyncConfig
from sqlspec.driver import SyncDriverAdapterBase
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import PLUGIN_STATE_KEY, SQLSpecPlugin, SyncCallOnEventLoopWarning
from tests.apps import make_app
from tests.databases import Database, prepared_sync, require_postgres
from tests.flavour_async import serve

WARNING = r"on the event loop .* `await plugin\.provide_request_session_async\(\.\.\.\)`"


@pytest.fixture(params=["sqlite", "psycopg_sync"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from prepared_sync(request.param, tmp_path)


def on_loop_warnings(record: pytest.WarningsRecorder) -> list[Any]:
    return [each for each in record if issubclass(each.category, SyncCallOnEventLoopWarning)]


def test_an_async_guard_gets_the_requests_connection_from_the_sync_accessor(db: Database) -> None:
    config = db.config(commit_mode="autocommit")
    insert = db.insert_sql()
    from_guard: dict[str, Any] = {}

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        plugin: SQLSpecPlugin = connection.app.state[PLUGIN_STATE_KEY]
        session = plugin.provide_request_session_sync(config, connection.app.state, connection.scope)
        session.execute(insert, {"name": f"guard-{connection.url.path.strip('/')}"})
        from_guard["session"] = session
        # already checked out: the connection accessor returns it, on the loop, without a checkout (nor a warning)
        from_guard["connection"] = plugin.provide_request_connection(
            "db_connection", connection.app.state, connection.scope
        )

    @post("/write", guards=[guard], sync_to_thread=True)
    def write(
        db_session: NamedDependency[SyncDriverAdapterBase], db_connection: NamedDependency[Any]
    ) -> dict[str, bool]:
        db_session.execute(insert, {"name": "handler-write"})
        return {
            "same_session": db_session is from_guard["session"],
            "same_connection": db_connection is from_guard["connection"] is db_session.connection,
            "one_checked_out": db.checked_out(plugin, config) == 1,
        }

    @post("/refused", guards=[guard], sync_to_thread=True)
    def refused(db_session: NamedDependency[SyncDriverAdapterBase]) -> None:
        db_session.execute(insert, {"name": "handler-refused"})
        raise NotAuthorizedException

    app, plugin = make_app(config, route_handlers=[write, refused])
    with TestClient(app) as client:
        with pytest.warns(SyncCallOnEventLoopWarning, match=WARNING) as record:
            first = client.post("/write")
        # Later requests warn no more: pytest's filterwarnings turns any warning into an error, so a 500.
        for response in [first, client.post("/write"), client.post("/write")]:
            assert response.status_code == 201
            assert response.json() == {"same_session": True, "same_connection": True, "one_checked_out": True}
        assert db.checked_out(plugin, config) == 0
        assert client.post("/refused").status_code == 401
        assert db.checked_out(plugin, config) == 0
    warned = on_loop_warnings(record)
    assert len(warned) == 1
    assert warned[0].filename == __file__  # it points at the guard's call
    assert "await plugin.provide_request_connection_async(...)" in str(warned[0].message)
    # autocommit: the 201s committed the guard's and the handler's rows in one transaction, the 401 neither
    assert db.names() == ["guard-write"] * 3 + ["handler-write"] * 3


def test_an_async_guard_awaits_a_sync_configs_connection_without_a_warning(db: Database) -> None:
    config = db.config(commit_mode="autocommit")
    insert = db.insert_sql()
    from_guard: dict[str, Any] = {}

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        plugin: SQLSpecPlugin = connection.app.state[PLUGIN_STATE_KEY]
        session = await plugin.provide_request_session_async(config, connection.app.state, connection.scope)
        await anyio.to_thread.run_sync(session.execute, insert, {"name": "from-guard"})
        from_guard["session"] = session
        from_guard["connection"] = await plugin.provide_request_connection_async(
            config, connection.app.state, connection.scope
        )

    @post("/write", guards=[guard], sync_to_thread=True)
    def write(db_session: NamedDependency[SyncDriverAdapterBase]) -> dict[str, bool]:
        db_session.execute(insert, {"name": "from-handler"})
        return {
            "same_session": db_session is from_guard["session"],
            "same_connection": db_session.connection is from_guard["connection"],
            "one_checked_out": db.checked_out(plugin, config) == 1,
        }

    app, plugin = make_app(config, route_handlers=[write])
    with TestClient(app) as client:  # any warning is an error here (pytest's filterwarnings), so a 500
        for _ in range(2):
            response = client.post("/write")
            assert response.status_code == 201
            assert response.json() == {"same_session": True, "same_connection": True, "one_checked_out": True}
            assert db.checked_out(plugin, config) == 0
    assert db.names() == ["from-guard"] * 2 + ["from-handler"] * 2


def test_a_sync_call_on_the_loop_while_another_task_checks_out_is_refused_clearly(db: Database) -> None:
    # The other task's checkout completes through the loop: a blocking wait for it there would never end.
    config = db.config(commit_mode="autocommit")
    insert = db.insert_sql()
    seen: dict[str, Any] = {}

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        plugin: SQLSpecPlugin = connection.app.state[PLUGIN_STATE_KEY]
        state, scope = connection.app.state, connection.scope

        async def check_out() -> None:
            seen["session"] = await plugin.provide_request_session_async(config, state, scope)

        async with anyio.create_task_group() as group:
            group.start_soon(check_out)
            await anyio.sleep(0)  # the task has claimed the request's connection and waits for its checkout
            with pytest.raises(ImproperConfigurationError) as refused:
                plugin.provide_request_session_sync(config, state, scope)
            seen["error"] = str(refused.value)
        seen["session"].execute(insert, {"name": "from-guard"})

    @post("/write", guards=[guard], sync_to_thread=True)
    def write(db_session: NamedDependency[SyncDriverAdapterBase]) -> bool:
        db_session.execute(insert, {"name": "from-handler"})
        return db_session is seen["session"] and db.checked_out(plugin, config) == 1

    app, plugin = make_app(config, route_handlers=[write])
    with TestClient(app) as client:
        with pytest.warns(SyncCallOnEventLoopWarning):
            response = client.post("/write")
        assert response.status_code == 201
        assert response.json() is True
        assert db.checked_out(plugin, config) == 0
    assert "another task of this request is checking its connection out right now" in seen["error"]
    assert "provide_request_session_async" in seen["error"]
    assert db.names() == ["from-guard", "from-handler"]


async def test_a_sync_call_on_the_loop_with_every_connection_leased_answers_503_at_once() -> None:
    # Leased connections are given back by the loop, which a blocking wait would hold: no wait, a 503 now.
    dsn = require_postgres()
    config = PsycopgSyncConfig(connection_config={"conninfo": dsn, "min_size": 1, "max_size": 1, "timeout": 20})
    held = anyio.Event()
    release = anyio.Event()

    @post("/hold")
    async def hold(db_session: NamedDependency[SyncDriverAdapterBase]) -> None:
        held.set()
        await release.wait()

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        plugin.provide_request_session_sync(config, connection.app.state, connection.scope)

    @post("/guarded", guards=[guard])
    async def guarded() -> None:
        return None

    app, plugin = make_app(config, route_handlers=[hold, guarded])
    statuses: dict[str, int] = {}
    try:
        async with serve(app) as client:

            async def call_hold() -> None:
                statuses["hold"] = (await client.post("/hold")).status_code

            async with anyio.create_task_group() as group:
                group.start_soon(call_hold)
                with anyio.fail_after(20):
                    await held.wait()
                started = time.monotonic()
                with pytest.warns(SyncCallOnEventLoopWarning):
                    response = await client.post("/guarded")
                waited = time.monotonic() - started
                release.set()
            assert pool_checked_out(config) == 0
            assert (await client.post("/hold")).status_code == 201  # the pool is whole again
    finally:
        await anyio.to_thread.run_sync(config.close_pool)
    assert response.status_code == 503
    assert response.json()["detail"] == "No database connection is available; try again later."
    assert waited < 10  # answered at once, not after the pool's 20 s timeout
    assert statuses["hold"] == 201


def pool_checked_out(config: Any) -> int:
    stats = config.connection_instance.get_stats()
    return int(stats["pool_size"] - stats["pool_available"])
