"""A driver session kept past its request (a background task) cannot reach the connection, which by then may serve
another request: every use fails, saying why, and nothing leaks into the other request's transaction."""

from pathlib import Path
from typing import Any

import pytest
from litestar import Response, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.testing import TestClient
from sqlspec.driver import AsyncDriverAdapterBase, SyncDriverAdapterBase
from sqlspec.exceptions import ImproperConfigurationError

from tests.apps import make_app
from tests.databases import make_database

FAILURES: list[BaseException] = []


@pytest.mark.parametrize("kind", ["aiosqlite", "sqlite", "psycopg_async", "psycopg_sync"])
def test_a_background_task_cannot_use_the_requests_released_session(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    database.setup()
    insert = database.insert_sql()
    FAILURES.clear()

    async def late_write(session: Any) -> None:
        try:
            if isinstance(session, AsyncDriverAdapterBase):
                await session.execute(insert, {"name": "late"})
            else:
                session.execute(insert, {"name": "late"})
        except ImproperConfigurationError as exc:
            FAILURES.append(exc)

    @post("/with-task")
    async def with_task(db_session: NamedDependency[AsyncDriverAdapterBase]) -> Response[None]:
        await db_session.execute(insert, {"name": "mine"})
        return Response(None, background=BackgroundTask(late_write, db_session))

    @post("/with-task", sync_to_thread=True)
    def with_task_sync(db_session: NamedDependency[SyncDriverAdapterBase]) -> Response[None]:
        db_session.execute(insert, {"name": "mine"})
        return Response(None, background=BackgroundTask(late_write, db_session))

    @post("/plain")
    async def plain(db_session: NamedDependency[AsyncDriverAdapterBase]) -> None:
        await db_session.execute(insert, {"name": "plain"})

    @post("/plain", sync_to_thread=True)
    def plain_sync(db_session: NamedDependency[SyncDriverAdapterBase]) -> None:
        db_session.execute(insert, {"name": "plain"})

    config = database.config(commit_mode="autocommit")
    handlers = [with_task, plain] if config.is_async else [with_task_sync, plain_sync]
    app, _ = make_app(config, route_handlers=handlers)
    try:
        with TestClient(app) as client:
            assert client.post("/with-task").status_code == 201
            assert client.post("/plain").status_code == 201
        assert database.names() == ["mine", "plain"]  # "late" reached no transaction
        assert len(FAILURES) == 1
        assert "released when its response started" in str(FAILURES[0])
    finally:
        database.teardown()
