"""Drivers that autocommit each statement (asyncpg, psqlpy, DuckDB): the request's transaction begins with its first
statement, through the session or the raw connection alike, and a request that runs none begins nothing."""

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.testing import TestClient

from tests.apps import make_app
from tests.databases import Database, make_database

# how each driver's own connection runs an INSERT of one name (what a handler using db_connection writes)
RAW_INSERT: dict[str, Callable[[Any, str, str], Awaitable[Any]]] = {
    "asyncpg": lambda connection, table, name: connection.execute(f"INSERT INTO {table} (name) VALUES ($1)", name),
    "psqlpy": lambda connection, table, name: connection.execute(f"INSERT INTO {table} (name) VALUES ($1)", [name]),
}


@pytest.fixture(params=["asyncpg", "psqlpy", "duckdb"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    database = make_database(request.param, tmp_path)
    database.setup()
    yield database
    database.teardown()


def test_a_request_that_runs_no_statement_begins_nothing(db: Database) -> None:
    def idle_sync(db_connection: NamedDependency[Any]) -> dict[str, bool]:
        return {"open": db_connection.in_transaction}

    async def idle_async(db_connection: NamedDependency[Any]) -> dict[str, bool]:
        return {"open": db_connection.in_transaction}

    handler = get("/idle", sync_to_thread=True)(idle_sync) if db.kind == "duckdb" else get("/idle")(idle_async)
    config = db.config(commit_mode="autocommit")
    app, plugin = make_app(config, route_handlers=[handler])
    with TestClient(app) as client:
        assert client.get("/idle").json() == {"open": False}
        assert db.checked_out(plugin, config) == 0


def test_the_first_statement_begins_and_an_explicit_commit_ends_the_transaction(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    insert = db.insert_sql()

    async def steps_async(db_session: NamedDependency[Any], db_connection: NamedDependency[Any]) -> list[bool]:
        seen = [db_connection.in_transaction]
        await db_session.execute(insert, {"name": "committed"})
        seen.append(db_connection.in_transaction)
        await db_session.commit()
        seen.append(db_connection.in_transaction)
        await db_session.execute(insert, {"name": "rolled-back"})
        seen.append(db_connection.in_transaction)
        return seen

    def steps_sync(db_session: NamedDependency[Any], db_connection: NamedDependency[Any]) -> list[bool]:
        seen = [db_connection.in_transaction]
        db_session.execute(insert, {"name": "committed"})
        seen.append(db_connection.in_transaction)
        db_session.commit()
        seen.append(db_connection.in_transaction)
        db_session.execute(insert, {"name": "rolled-back"})
        seen.append(db_connection.in_transaction)
        return seen

    handler = post("/steps", sync_to_thread=True)(steps_sync) if db.kind == "duckdb" else post("/steps")(steps_async)
    config = db.config(commit_mode="manual")
    app, plugin = make_app(config, route_handlers=[handler])
    with caplog.at_level(logging.WARNING), TestClient(app) as client:
        assert client.post("/steps").json() == [False, True, False, True]
        assert client.post("/steps").json() == [False, True, False, True]  # the next request on the connection too
        assert db.checked_out(plugin, config) == 0
    assert db.names() == ["committed", "committed"]  # manual: what was not committed is rolled back
    # (before: DuckDB logged "cannot rollback - no transaction is active" and a traceback at every rollback)
    assert [record.getMessage() for record in caplog.records if record.name.startswith("litestar_sqlspec")] == []


@pytest.mark.parametrize(("code", "kept"), [(201, True), (500, False)])
def test_writes_through_the_raw_connection_end_with_the_request(db: Database, code: int, kept: bool) -> None:
    insert = f"INSERT INTO {db.table} (name) VALUES ($1)"

    async def raw_async(code: FromPath[int], db_connection: NamedDependency[Any]) -> Response[None]:
        await RAW_INSERT[db.kind](db_connection, db.table, "raw")
        return Response(None, status_code=code)

    def raw_sync(code: FromPath[int], db_connection: NamedDependency[Any]) -> Response[None]:
        db_connection.execute(insert, ["raw"])  # DuckDB's own connection
        return Response(None, status_code=code)

    path = "/raw/{code:int}"
    handler = post(path, sync_to_thread=True)(raw_sync) if db.kind == "duckdb" else post(path)(raw_async)
    config = db.config(commit_mode="autocommit")
    app, plugin = make_app(config, route_handlers=[handler])
    with TestClient(app) as client:
        assert client.post(f"/raw/{code}").status_code == code
        assert db.checked_out(plugin, config) == 0
    assert db.names() == (["raw"] if kept else [])
