"""sqlspec services as request dependencies: bound to the request's session, with the plugin's SQL file loader."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from litestar import Litestar, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.testing import TestClient
from sqlspec import SQLSpec
from sqlspec.core import LimitOffsetFilter
from sqlspec.driver import AsyncDriverAdapterBase, SyncDriverAdapterBase
from sqlspec.exceptions import ImproperConfigurationError
from sqlspec.loader import SQLFileLoader
from sqlspec.service import SQLSpecAsyncService, SQLSpecSyncService

from litestar_sqlspec import SQLSpecPlugin
from litestar_sqlspec.services import create_service_provider
from tests.apps import make_app
from tests.databases import Database, make_database, prepared_async, prepared_sync
from tests.flavour_async import serve


@pytest.fixture(params=["aiosqlite", "psycopg_async"])
async def async_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async for database in prepared_async(request.param, tmp_path):
        yield database


@pytest.fixture(params=["sqlite", "psycopg_sync"])
def sync_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from prepared_sync(request.param, tmp_path)


class AsyncItemService(SQLSpecAsyncService[AsyncDriverAdapterBase]):
    table: ClassVar[str]

    async def add(self, name: str) -> None:
        await self.session.execute(f"INSERT INTO {self.table} (name) VALUES (:name)", {"name": name})

    async def page(self, limit: int, offset: int) -> dict[str, Any]:
        page = await self.paginate(f"SELECT name FROM {self.table} ORDER BY name", LimitOffsetFilter(limit, offset))
        return {"names": [row["name"] for row in page.items], "total": page.total}

    async def count_by_named_query(self) -> int:
        assert self.loader is not None
        return int(await self.session.select_value(self.loader.get_sql("count_items")))


class SyncItemService(SQLSpecSyncService[SyncDriverAdapterBase]):
    table: ClassVar[str]

    def add(self, name: str) -> None:
        self.session.execute(f"INSERT INTO {self.table} (name) VALUES (:name)", {"name": name})

    def page(self, limit: int, offset: int) -> dict[str, Any]:
        page = self.paginate(f"SELECT name FROM {self.table} ORDER BY name", LimitOffsetFilter(limit, offset))
        return {"names": [row["name"] for row in page.items], "total": page.total}

    def count_by_named_query(self) -> int:
        assert self.loader is not None
        return int(self.session.select_value(self.loader.get_sql("count_items")))


def count_loader(tmp_path: Path, table: str) -> SQLFileLoader:
    sql_file = tmp_path / "items.sql"
    sql_file.write_text(f"-- name: count_items\nSELECT count(*) FROM {table}\n")
    loader = SQLFileLoader()
    loader.load_sql(sql_file)
    return loader


def app_with_loader(config: Any, loader: SQLFileLoader, route_handlers: list[Any]) -> Litestar:
    spec = SQLSpec()
    spec.add_config(config)
    return Litestar(route_handlers=route_handlers, plugins=[SQLSpecPlugin(spec, loader=loader)])


async def test_async_service_writes_and_pages_through_the_request_session(async_db: Database) -> None:
    class ItemService(AsyncItemService):
        table = async_db.table

    items = create_service_provider(ItemService)

    @post("/items", dependencies={"items": items})
    async def add(
        name: FromQuery[str], items: NamedDependency[ItemService], db_session: NamedDependency[AsyncDriverAdapterBase]
    ) -> bool:
        await items.add(name)
        return items.session is db_session

    @get("/items", dependencies={"items": items})
    async def page(
        limit: FromQuery[int], offset: FromQuery[int], items: NamedDependency[ItemService]
    ) -> dict[str, Any]:
        return await items.page(limit, offset)

    app, _ = make_app(async_db.config(commit_mode="autocommit"), route_handlers=[add, page])
    async with serve(app) as client:
        for name in ("b", "a", "c"):
            response = await client.post("/items", params={"name": name})
            assert response.status_code == 201
            assert response.json() is True
        response = await client.get("/items", params={"limit": 2, "offset": 1})
    assert response.json() == {"names": ["b", "c"], "total": 3}
    assert async_db.names() == ["a", "b", "c"]


def test_sync_service_writes_and_pages_through_the_request_session(sync_db: Database) -> None:
    class ItemService(SyncItemService):
        table = sync_db.table

    items = create_service_provider(ItemService)

    @post("/items", dependencies={"items": items}, sync_to_thread=True)
    def add(
        name: FromQuery[str], items: NamedDependency[ItemService], db_session: NamedDependency[SyncDriverAdapterBase]
    ) -> bool:
        items.add(name)
        return items.session is db_session

    @get("/items", dependencies={"items": items}, sync_to_thread=True)
    def page(limit: FromQuery[int], offset: FromQuery[int], items: NamedDependency[ItemService]) -> dict[str, Any]:
        return items.page(limit, offset)

    app, _ = make_app(sync_db.config(commit_mode="autocommit"), route_handlers=[add, page])
    with TestClient(app) as client:
        for name in ("b", "a", "c"):
            response = client.post("/items", params={"name": name})
            assert response.status_code == 201
            assert response.json() is True
        response = client.get("/items", params={"limit": 2, "offset": 1})
    assert response.json() == {"names": ["b", "c"], "total": 3}
    assert sync_db.names() == ["a", "b", "c"]


async def test_async_service_runs_named_queries_of_the_plugins_loader(async_db: Database, tmp_path: Path) -> None:
    class ItemService(AsyncItemService):
        table = async_db.table

    loader = count_loader(tmp_path, async_db.table)
    async_db.execute(f"INSERT INTO {async_db.table} (name) VALUES ('a'), ('b')")

    @get("/count", dependencies={"items": create_service_provider(ItemService)})
    async def count(items: NamedDependency[ItemService], sql_loader: NamedDependency[SQLFileLoader]) -> int:
        assert items.loader is sql_loader
        return await items.count_by_named_query()

    async with serve(app_with_loader(async_db.config(), loader, [count])) as client:
        response = await client.get("/count")
    assert response.json() == 2


def test_sync_service_runs_named_queries_of_the_plugins_loader(sync_db: Database, tmp_path: Path) -> None:
    class ItemService(SyncItemService):
        table = sync_db.table

    loader = count_loader(tmp_path, sync_db.table)
    sync_db.execute(f"INSERT INTO {sync_db.table} (name) VALUES ('a'), ('b')")

    @get("/count", dependencies={"items": create_service_provider(ItemService)}, sync_to_thread=True)
    def count(items: NamedDependency[ItemService], sql_loader: NamedDependency[SQLFileLoader]) -> int:
        assert items.loader is sql_loader
        return items.count_by_named_query()

    with TestClient(app_with_loader(sync_db.config(), loader, [count])) as client:
        response = client.get("/count")
    assert response.json() == 2


async def test_service_without_a_plugin_loader_has_none(tmp_path: Path) -> None:
    database = make_database("aiosqlite", tmp_path)

    @get("/loader", dependencies={"service": create_service_provider(SQLSpecAsyncService)})
    async def loader(service: NamedDependency[SQLSpecAsyncService[Any]]) -> bool:
        return service.loader is None

    app, _ = make_app(database.config(), route_handlers=[loader])
    async with serve(app) as client:
        response = await client.get("/loader")
    assert response.json() is True


def test_service_binds_to_the_session_key_of_its_config(tmp_path: Path) -> None:
    main = make_database("aiosqlite", tmp_path / "main")
    reports = make_database("sqlite", tmp_path / "reports")
    for database in (main, reports):
        database.sqlite_path.parent.mkdir()  # type: ignore[union-attr]
        database.setup()

    class ItemService(SyncItemService):
        table = reports.table

    @post(
        "/reports",
        dependencies={"items": create_service_provider(ItemService, session_key="reports_session")},
        sync_to_thread=True,
    )
    def add(items: NamedDependency[ItemService], reports_session: NamedDependency[SyncDriverAdapterBase]) -> bool:
        items.add("r")
        return items.session is reports_session

    app, _ = make_app(
        main.config(),
        reports.config(
            session_key="reports_session",
            connection_key="reports_connection",
            pool_key="reports_pool",
            commit_mode="autocommit",
        ),
        route_handlers=[add],
    )
    with TestClient(app) as client:
        response = client.post("/reports")
    assert response.json() is True
    assert reports.names() == ["r"]
    assert main.names() == []


async def test_async_service_on_a_sync_session_fails_naming_both(tmp_path: Path) -> None:
    database = make_database("sqlite", tmp_path)

    class ItemService(AsyncItemService):
        table = database.table

    @get("/items", dependencies={"items": create_service_provider(ItemService)})
    async def items(items: NamedDependency[ItemService]) -> None: ...

    app, _ = make_app(database.config(), route_handlers=[items], debug=True)
    async with serve(app) as client:
        response = await client.get("/items")
    assert response.status_code == 500
    assert "ItemService is an async service but the 'db_session' dependency is of type SqliteDriver" in response.text


async def test_sync_service_on_an_async_session_fails_naming_both(tmp_path: Path) -> None:
    database = make_database("aiosqlite", tmp_path)

    class ItemService(SyncItemService):
        table = database.table

    @get("/items", dependencies={"items": create_service_provider(ItemService)}, sync_to_thread=True)
    def items(items: NamedDependency[ItemService]) -> None: ...

    app, _ = make_app(database.config(), route_handlers=[items], debug=True)
    async with serve(app) as client:
        response = await client.get("/items")
    assert response.status_code == 500
    assert "ItemService is a sync service but the 'db_session' dependency is of type AiosqliteDriver" in response.text


@pytest.mark.parametrize("service_type", [object, int, "ItemService", None, SQLSpecPlugin])
def test_only_service_classes_are_accepted(service_type: Any) -> None:
    with pytest.raises(
        ImproperConfigurationError, match=r"is not a service class; pass a subclass of sqlspec\.service"
    ):
        create_service_provider(service_type)


@pytest.mark.parametrize(
    ("keys", "error"),
    [
        ({"session_key": "db-session"}, "session_key='db-session' is not a valid Python identifier"),
        ({"session_key": "class"}, "session_key='class' is not a valid Python identifier"),
        ({"session_key": ""}, "session_key='' is not a valid Python identifier"),
        ({"session_key": "state"}, "session_key='state' is reserved by Litestar"),
        ({"loader_key": "sql loader"}, "loader_key='sql loader' is not a valid Python identifier"),
    ],
)
def test_keys_must_be_identifiers(keys: dict[str, Any], error: str) -> None:
    with pytest.raises(ImproperConfigurationError, match=error):
        create_service_provider(SQLSpecAsyncService, **keys)


def test_the_provider_runs_on_the_event_loop_without_a_thread() -> None:
    provider = create_service_provider(SQLSpecSyncService)
    assert provider.sync_to_thread is False
