"""Request transactions: the commit mode and the response status decide; a failed request never commits.

Every case runs a real app and reads the table back through a separate connection.
"""

from typing import Any

import pytest
from litestar import Response, post, websocket_listener
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.params import FromPath, FromQuery
from litestar.testing import AsyncTestClient
from sqlspec.driver import AsyncDriverAdapterBase

from tests.apps import make_app
from tests.databases import Database
from tests.flavour_async import HANDLER, eventually, serve


def routes(db: Database) -> list[Any]:
    insert = db.insert_sql()

    @post("/status/{code:int}", **HANDLER)
    async def respond_with(
        code: FromPath[int], name: FromQuery[str], db_session: NamedDependency[AsyncDriverAdapterBase]
    ) -> Response[None]:
        await db_session.execute(insert, {"name": name})
        return Response(None, status_code=code)

    @post("/raise", **HANDLER)
    async def fail(name: FromQuery[str], db_session: NamedDependency[AsyncDriverAdapterBase]) -> None:
        await db_session.execute(insert, {"name": name})
        raise RuntimeError("handler failed after writing")

    @post("/commit-then-raise", **HANDLER)
    async def commit_then_fail(name: FromQuery[str], db_session: NamedDependency[AsyncDriverAdapterBase]) -> None:
        await db_session.execute(insert, {"name": name})
        await db_session.commit()
        await db_session.execute(insert, {"name": f"{name}-after-commit"})
        raise RuntimeError("handler failed after committing")

    @post("/connection/{code:int}", **HANDLER)
    async def through_connection(
        code: FromPath[int],
        name: FromQuery[str],
        db_connection: NamedDependency[Any],
        db_session: NamedDependency[AsyncDriverAdapterBase],
    ) -> Response[None]:
        assert db_session.connection is db_connection
        await db_session.execute(insert, {"name": name})
        return Response(None, status_code=code)

    return [respond_with, fail, commit_then_fail, through_connection]


CASES = [
    # (commit_mode, extra settings, path, committed?)
    ("manual", {}, "/status/201", False),
    ("manual", {}, "/status/400", False),
    ("manual", {}, "/raise", False),
    ("autocommit", {}, "/status/200", True),
    ("autocommit", {}, "/status/201", True),
    ("autocommit", {}, "/status/302", False),
    ("autocommit", {}, "/status/400", False),
    ("autocommit", {}, "/status/500", False),
    ("autocommit", {}, "/raise", False),
    ("autocommit", {}, "/connection/201", True),
    ("autocommit", {}, "/connection/409", False),
    ("autocommit", {"extra_commit_statuses": [418]}, "/status/418", True),
    ("autocommit", {"extra_rollback_statuses": (201,)}, "/status/201", False),
    ("autocommit", {"extra_rollback_statuses": {201}}, "/status/200", True),
    ("autocommit_include_redirect", {}, "/status/201", True),
    ("autocommit_include_redirect", {}, "/status/302", True),
    ("autocommit_include_redirect", {}, "/status/400", False),
    ("autocommit_include_redirect", {}, "/raise", False),
    ("autocommit_include_redirect", {"extra_rollback_statuses": [302]}, "/status/302", False),
]


@pytest.mark.parametrize(("mode", "extra", "path", "committed"), CASES)
async def test_commit_mode_decides_by_status(
    db: Database, mode: str, extra: dict[str, Any], path: str, committed: bool
) -> None:
    config = db.config(commit_mode=mode, **extra)
    app, plugin = make_app(config, route_handlers=routes(db))
    async with serve(app) as client:
        response = await client.post(path, params={"name": "row"})
        assert response.status_code == (500 if path == "/raise" else int(path.rsplit("/", 1)[1]))
        assert db.names() == (["row"] if committed else [])
        assert db.checked_out(plugin, config) == 0


@pytest.mark.parametrize("mode", ["manual", "autocommit"])
async def test_explicit_commit_stays_and_the_rest_rolls_back(db: Database, mode: str) -> None:
    config = db.config(commit_mode=mode)
    app, plugin = make_app(config, route_handlers=routes(db))
    async with serve(app) as client:
        response = await client.post("/commit-then-raise", params={"name": "kept"})
        assert response.status_code == 500
        assert db.names() == ["kept"]
        assert db.checked_out(plugin, config) == 0


async def test_each_request_ends_its_own_transaction(db: Database) -> None:
    config = db.config(commit_mode="autocommit")
    app, plugin = make_app(config, route_handlers=routes(db))
    async with serve(app) as client:
        for index, code in enumerate((201, 400, 201, 500, 204)):
            response = await client.post(f"/status/{code}", params={"name": f"r{index}"})
            assert response.status_code == code
        assert db.names() == ["r0", "r2", "r4"]
        assert db.checked_out(plugin, config) == 0


@pytest.mark.parametrize(
    ("mode", "message", "committed"),
    [("manual", "hello", False), ("autocommit", "hello", True), ("autocommit", "fail", False)],
)
async def test_websocket_receives_a_session(db: Database, mode: str, message: str, committed: bool) -> None:
    insert = db.insert_sql()

    @websocket_listener("/ws")
    async def store(data: str, db_session: NamedDependency[AsyncDriverAdapterBase]) -> str:
        await db_session.execute(insert, {"name": data})
        if data == "fail":
            raise RuntimeError("listener failed after writing")
        return f"stored {data}"

    config = db.config(commit_mode=mode)
    app, plugin = make_app(config, route_handlers=[store])
    async with AsyncTestClient(app=app) as client:
        with await client.websocket_connect("/ws") as socket:
            socket.send_text(message)
            if message == "fail":
                with pytest.raises(WebSocketDisconnect):
                    socket.receive_text()
            else:
                assert socket.receive_text() == f"stored {message}"
        # The test client runs the socket's app in a task of its own: wait for it to end.
        assert await eventually(lambda: db.checked_out(plugin, config) == 0)
        assert db.names() == ([message] if committed else [])


async def test_failed_commit_answers_with_an_error_and_keeps_nothing(db: Database) -> None:
    if db.dialect != "postgres":
        # SQLite: a deferred foreign key fails at COMMIT too; tests/test_readme.py runs docs/transactions.md's example
        pytest.skip("a deferred unique constraint is PostgreSQL's; SQLite's COMMIT failure is tested in test_readme")
    db.execute(f"ALTER TABLE {db.table} ADD CONSTRAINT {db.table}_unique UNIQUE (name) DEFERRABLE INITIALLY DEFERRED")
    insert = db.insert_sql()

    @post("/duplicate", **HANDLER)
    async def duplicate(db_session: NamedDependency[AsyncDriverAdapterBase]) -> None:
        await db_session.execute(insert, {"name": "twice"})
        await db_session.execute(insert, {"name": "twice"})  # only checked at COMMIT

    config = db.config(commit_mode="autocommit")
    app, plugin = make_app(config, route_handlers=[duplicate, *routes(db)])
    async with serve(app) as client:
        response = await client.post("/duplicate")
        assert response.status_code == 409  # the unique violation raised by COMMIT is mapped like any other
        assert db.names() == []
        assert db.checked_out(plugin, config) == 0
        # the pool is healthy afterwards
        assert (await client.post("/status/201", params={"name": "after"})).status_code == 201
        assert db.names() == ["after"]
