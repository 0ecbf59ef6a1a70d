"""A request cancelled mid-handler (server shutdown, or a server that cancels on disconnect) rolls back and gives
its connection back. Written by hand: cancelling the request's task is an async-side event."""

from pathlib import Path
from typing import Any, cast

import anyio
import pytest
from litestar import post
from litestar.di import NamedDependency
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.psycopg import PsycopgAsyncConfig
from sqlspec.driver import AsyncDriverAdapterBase

from tests.apps import make_app
from tests.databases import Database, require_postgres


def database(kind: str, tmp_path: Path) -> Database:
    if kind == "aiosqlite":
        path = tmp_path / "app.db"
        return Database(
            kind,
            "sqlite",
            lambda ext: AiosqliteConfig(connection_config={"database": str(path)}, extension_config=ext),
            sqlite_path=path,
        )
    dsn = require_postgres()
    return Database(
        kind,
        "postgres",
        lambda ext: PsycopgAsyncConfig(
            connection_config={"conninfo": dsn, "min_size": 2, "max_size": 2}, extension_config=ext
        ),
    )


def http_scope(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }


@pytest.mark.parametrize("kind", ["aiosqlite", "psycopg_async"])
async def test_a_cancelled_request_rolls_back_and_releases(kind: str, tmp_path: Path) -> None:
    db = database(kind, tmp_path)
    db.setup()
    inside = anyio.Event()
    insert = db.insert_sql()

    @post("/slow")
    async def slow(db_session: NamedDependency[AsyncDriverAdapterBase]) -> None:
        await db_session.execute(insert, {"name": "never"})
        inside.set()
        await anyio.sleep(30)

    config = db.config(commit_mode="autocommit")
    app, plugin = make_app(config, route_handlers=[slow])
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        await anyio.sleep_forever()
        raise AssertionError

    async def send(message: Any) -> None:
        sent.append(message)

    try:
        async with app.lifespan():
            async with anyio.create_task_group() as group:
                group.start_soon(cast("Any", app), http_scope("/slow"), receive, send)
                await inside.wait()
                assert db.checked_out(plugin, config) == 1
                group.cancel_scope.cancel()
            assert sent == []
            assert db.checked_out(plugin, config) == 0
            assert db.names() == []
    finally:
        await config.close_pool()
        db.teardown()
