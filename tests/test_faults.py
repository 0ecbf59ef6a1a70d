"""PostgreSQL drops connections (``pg_terminate_backend``): requests fail cleanly, nothing half-done is kept, the pool
heals, and the next requests succeed."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.testing import TestClient
from sqlspec.driver import AsyncDriverAdapterBase, SyncDriverAdapterBase

from litestar_sqlspec import SQLSpecPlugin, SQLSpecStore
from tests.apps import make_app
from tests.databases import Database, close_pool, kill_backends, make_database, open_pool, tagged_psycopg_config

pytestmark = pytest.mark.postgres

POOL_SIZE = 5


@pytest.fixture(params=["psycopg_async", "psycopg_sync"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = make_database(request.param, tmp_path)
    database.setup()
    yield database
    database.teardown()


def _app(database: Database) -> tuple[Litestar, SQLSpecPlugin, Any, str]:
    """An app whose pooled connections carry an application name of their own, so that only they are killed."""
    application = f"faults_{uuid.uuid4().hex[:8]}"
    config = tagged_psycopg_config(
        database.kind, application, min_size=POOL_SIZE, extension_config={"litestar": {"commit_mode": "autocommit"}}
    )
    insert = database.insert_sql()
    suicide = "SELECT pg_terminate_backend(pg_backend_pid())"

    @post("/items/{name:str}")
    async def add(name: FromPath[str], db_session: NamedDependency[AsyncDriverAdapterBase]) -> None:
        await db_session.execute(insert, {"name": name})

    @post("/dies-midway/{name:str}")
    async def dies(name: FromPath[str], db_session: NamedDependency[AsyncDriverAdapterBase]) -> None:
        await db_session.execute(insert, {"name": name})
        await db_session.execute(suicide)

    @post("/items/{name:str}", sync_to_thread=True)
    def add_sync(name: FromPath[str], db_session: NamedDependency[SyncDriverAdapterBase]) -> None:
        db_session.execute(insert, {"name": name})

    @post("/dies-midway/{name:str}", sync_to_thread=True)
    def dies_sync(name: FromPath[str], db_session: NamedDependency[SyncDriverAdapterBase]) -> None:
        db_session.execute(insert, {"name": name})
        db_session.execute(suicide)

    handlers = [add, dies] if config.is_async else [add_sync, dies_sync]
    app, plugin = make_app(config, route_handlers=handlers)
    return app, plugin, config, application


def test_a_connection_killed_mid_request_fails_that_request_only(database: Database) -> None:
    app, plugin, config, _ = _app(database)
    with TestClient(app) as client:
        assert client.post("/items/before").status_code == 201
        response = client.post("/dies-midway/half-done")
        assert response.status_code == 500
        assert [client.post(f"/items/after{number}").status_code for number in range(10)] == [201] * 10
        assert database.checked_out(plugin, config) == 0
    assert database.names() == sorted(["before", *(f"after{number}" for number in range(10))])  # no "half-done"


def test_the_server_dropping_every_connection_costs_one_request(database: Database) -> None:
    """After the first lost connection the plugin has the pool test its idle ones: the dead are replaced at once,
    instead of failing one request each."""
    app, plugin, config, application = _app(database)
    with TestClient(app) as client:
        assert [client.post(f"/items/warm{number}").status_code for number in range(3)] == [201] * 3
        assert kill_backends(application) == POOL_SIZE
        statuses = [client.post(f"/items/next{number}").status_code for number in range(POOL_SIZE * 2)]
        assert statuses == [500] + [201] * (POOL_SIZE * 2 - 1)
        assert database.checked_out(plugin, config) == 0
    assert len(database.names()) == 3 + POOL_SIZE * 2 - 1


@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync"])
async def test_the_store_rides_through_the_server_dropping_every_connection(kind: str) -> None:
    """Store statements are safe to repeat: one that finds its connection dead runs again on a live one."""
    application = f"faults_{uuid.uuid4().hex[:8]}"
    config = tagged_psycopg_config(kind, application, min_size=3, max_size=3)
    await open_pool(config)
    store = SQLSpecStore(config, table_name=f"faults_store_{uuid.uuid4().hex[:8]}")
    try:
        await store.set("kept", b"value", expires_in=60)
        assert kill_backends(application) == 3
        assert [await store.get("kept") for _ in range(5)] == [b"value"] * 5  # not one error
        await store.set("after", b"new")
        assert await store.get("after") == b"new"
    finally:
        await store.drop_table()
        await close_pool(config)
