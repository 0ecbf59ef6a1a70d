"""sqlspec's NotFoundError and IntegrityError become 404 and 409 responses; the app's own handlers win."""

from pathlib import Path
from typing import Any

import pytest
from litestar import Request, Response, get, post
from litestar.config.app import AppConfig
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.testing import TestClient
from sqlspec.exceptions import IntegrityError, NotFoundError, UniqueViolationError

from litestar_sqlspec.errors import integrity_error_handler, not_found_error_handler, register_exception_handlers
from tests.apps import make_app
from tests.databases import Database, make_database

POSTGRES_KINDS = ["psycopg_async", "psycopg_sync"]
SECRET = "s3cret-value"


def unique_table(database: Database) -> str:
    return f"uniq_{database.table}"


def conflict_app(database: Database, **kwargs: Any) -> Any:
    """An app whose ``POST /things`` inserts ``SECRET`` into a table with a UNIQUE column, through ``db_session``."""
    table = unique_table(database)
    if database.kind.endswith("_sync"):

        @post("/things", sync_to_thread=True)
        def insert_sync(db_session: NamedDependency[Any]) -> None:
            db_session.execute(f"CREATE TABLE IF NOT EXISTS {table} (name TEXT UNIQUE NOT NULL)")
            db_session.execute(f"INSERT INTO {table} (name) VALUES (:name)", {"name": SECRET})

        handler: Any = insert_sync
    else:

        @post("/things")
        async def insert_async(db_session: NamedDependency[Any]) -> None:
            await db_session.execute(f"CREATE TABLE IF NOT EXISTS {table} (name TEXT UNIQUE NOT NULL)")
            await db_session.execute(f"INSERT INTO {table} (name) VALUES (:name)", {"name": SECRET})

        handler = insert_async
    handlers = kwargs.pop("route_handlers", None) or [handler]
    app, _ = make_app(database.config(commit_mode="autocommit"), route_handlers=handlers, **kwargs)
    return app


def rows_of(database: Database) -> list[str]:
    connection = database._raw()
    try:
        return [row[0] for row in connection.execute(f"SELECT name FROM {unique_table(database)}").fetchall()]
    finally:
        connection.close()


@pytest.fixture(params=POSTGRES_KINDS)
def postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    database = make_database(request.param, tmp_path)
    yield database
    database.execute(f"DROP TABLE IF EXISTS {unique_table(database)}")


def test_a_unique_violation_is_a_409_conflict_without_database_text(postgres: Database) -> None:
    with TestClient(conflict_app(postgres)) as client:
        assert client.post("/things").status_code == 201
        response = client.post("/things")
    assert response.status_code == 409
    assert response.json() == {"status_code": 409, "detail": "Conflict"}
    for leak in (SECRET, unique_table(postgres), "unique", "duplicate", "23505"):
        assert leak not in response.text.lower()
    assert rows_of(postgres) == [SECRET]  # the first insert was committed; the failed one was rolled back


def test_an_app_handler_for_status_409_renders_the_conflict(postgres: Database) -> None:
    seen: list[Any] = []

    def on_409(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        seen.append(exc)
        return Response({"error": "taken", "detail": exc.detail}, status_code=exc.status_code)

    with TestClient(conflict_app(postgres, exception_handlers={409: on_409})) as client:
        assert client.post("/things").status_code == 201
        response = client.post("/things")
    assert (response.status_code, response.json()) == (409, {"error": "taken", "detail": "Conflict"})
    assert isinstance(seen[0].__cause__, UniqueViolationError)


def test_a_route_level_handler_for_unique_violations_wins(postgres: Database) -> None:
    table = unique_table(postgres)

    def on_unique(request: Request[Any, Any, Any], exc: UniqueViolationError) -> Response[Any]:
        return Response({"already": "there"}, status_code=422)

    @post("/things", exception_handlers={UniqueViolationError: on_unique}, sync_to_thread=True)
    def insert_sync(db_session: NamedDependency[Any]) -> None:
        db_session.execute(f"CREATE TABLE IF NOT EXISTS {table} (name TEXT UNIQUE NOT NULL)")
        db_session.execute(f"INSERT INTO {table} (name) VALUES (:name)", {"name": SECRET})

    @post("/things", exception_handlers={UniqueViolationError: on_unique})
    async def insert_async(db_session: NamedDependency[Any]) -> None:
        await db_session.execute(f"CREATE TABLE IF NOT EXISTS {table} (name TEXT UNIQUE NOT NULL)")
        await db_session.execute(f"INSERT INTO {table} (name) VALUES (:name)", {"name": SECRET})

    handler = insert_sync if postgres.kind.endswith("_sync") else insert_async
    with TestClient(conflict_app(postgres, route_handlers=[handler])) as client:
        assert client.post("/things").status_code == 201
        response = client.post("/things")
    assert (response.status_code, response.json()) == (422, {"already": "there"})


def test_an_app_handler_for_integrity_errors_is_kept(postgres: Database) -> None:
    def on_integrity(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
        return Response({"mine": type(exc).__name__}, status_code=400)

    app = conflict_app(postgres, exception_handlers={IntegrityError: on_integrity})
    assert app.exception_handlers[IntegrityError] is on_integrity
    with TestClient(app) as client:
        assert client.post("/things").status_code == 201
        response = client.post("/things")
    assert (response.status_code, response.json()) == (400, {"mine": "UniqueViolationError"})


def not_found_app(database: Database, **kwargs: Any) -> Any:
    """An app whose ``GET /missing`` calls the driver's ``select_one`` on an empty table."""
    table = database.table
    if database.kind.endswith("_sync") or database.kind == "sqlite":

        @get("/missing", sync_to_thread=True)
        def missing_sync(db_session: NamedDependency[Any]) -> Any:
            return db_session.select_one(f"SELECT name FROM {table}")

        handler: Any = missing_sync
    else:

        @get("/missing")
        async def missing_async(db_session: NamedDependency[Any]) -> Any:
            return await db_session.select_one(f"SELECT name FROM {table}")

        handler = missing_async
    app, _ = make_app(database.config(), route_handlers=[handler], **kwargs)
    return app


@pytest.fixture(params=["aiosqlite", "sqlite", *POSTGRES_KINDS])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    database = make_database(request.param, tmp_path)
    database.setup()
    yield database
    database.teardown()


def test_select_one_on_an_empty_result_is_a_404_with_the_errors_message(empty: Database) -> None:
    with TestClient(not_found_app(empty)) as client:
        response = client.get("/missing")
    assert response.status_code == 404
    assert response.json() == {"status_code": 404, "detail": "No rows found"}


def test_an_app_handler_for_not_found_errors_is_kept(empty: Database) -> None:
    def on_not_found(request: Request[Any, Any, Any], exc: NotFoundError) -> Response[Any]:
        return Response({"nothing": str(exc)}, status_code=410)

    with TestClient(not_found_app(empty, exception_handlers={NotFoundError: on_not_found})) as client:
        response = client.get("/missing")
    assert (response.status_code, response.json()) == (410, {"nothing": "No rows found"})


def test_an_app_handler_for_http_exceptions_renders_the_404(tmp_path: Path) -> None:
    database = make_database("aiosqlite", tmp_path)
    database.setup()

    def on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        return Response(f"{exc.status_code}: {exc.detail}", status_code=exc.status_code, media_type="text/plain")

    with TestClient(not_found_app(database, exception_handlers={HTTPException: on_http})) as client:
        response = client.get("/missing")
    assert (response.status_code, response.text) == (404, "404: No rows found")


def test_an_empty_not_found_message_becomes_not_found(tmp_path: Path) -> None:
    @get("/raise")
    async def raising() -> None:
        raise NotFoundError

    @get("/conflict")
    async def conflicting() -> None:
        raise IntegrityError("duplicate key value violates unique constraint users_email_key")

    app, _ = make_app(make_database("aiosqlite", tmp_path).config(), route_handlers=[raising, conflicting])
    with TestClient(app) as client:
        assert client.get("/raise").json() == {"status_code": 404, "detail": "Not Found"}
        assert client.get("/conflict").json() == {"status_code": 409, "detail": "Conflict"}


def test_the_handlers_are_registered_when_the_app_has_none(tmp_path: Path) -> None:
    app, _ = make_app(make_database("aiosqlite", tmp_path).config(), route_handlers=[])
    assert app.exception_handlers[NotFoundError] is not_found_error_handler
    assert app.exception_handlers[IntegrityError] is integrity_error_handler


def test_the_handlers_are_registered_when_the_app_config_has_no_handler_map() -> None:
    app_config = AppConfig()
    app_config.exception_handlers = None  # type: ignore[assignment]
    register_exception_handlers(app_config)
    assert app_config.exception_handlers == {
        NotFoundError: not_found_error_handler,
        IntegrityError: integrity_error_handler,
    }
