"""Filter dependencies driven through HTTP query strings against real rows on SQLite (aiosqlite) and PostgreSQL."""

import datetime as dt
import enum
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation
from litestar.testing import TestClient
from sqlspec.core import FilterTypes, OffsetPagination
from sqlspec.driver import AsyncDriverAdapterBase, SyncDriverAdapterBase
from sqlspec.exceptions import ImproperConfigurationError
from sqlspec.service import SQLSpecAsyncService, SQLSpecSyncService

from litestar_sqlspec.providers import (
    ChoiceField,
    DependencyDefaults,
    FieldNameType,
    FilterConfig,
    create_filter_dependencies,
)
from tests.apps import make_app
from tests.databases import Database, make_database

BASE = dt.datetime(2024, 1, 1)
STATUSES = ("draft", "published", "archived")


@dataclass
class Note:
    id: int
    title: str
    status: str


@dataclass
class Row:
    id: int
    title: str
    status: str
    priority: int
    pinned: bool
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


ROWS = [
    Row(
        id=i,
        title=f"Note {i:02d} {'Alpha' if i % 2 else 'beta'}",
        status=STATUSES[i % 3],
        priority=i % 4,
        pinned=i % 4 == 0,
        archived_at=BASE if i % 5 == 0 else None,
        created_at=BASE + dt.timedelta(days=i),
        updated_at=BASE + dt.timedelta(days=40 - i),
    )
    for i in range(1, 31)
]

NOTES: FilterConfig = {
    "id_filter": int,
    "created_at": True,
    "updated_at": True,
    "pagination_type": "limit_offset",
    "pagination_size": 10,
    "pagination_max_size": 25,
    "search": "title",
    "search_ignore_case": True,
    "sort_field": ["id", "created_at", "title"],
    "sort_field_aliases": {"newest": "created_at"},
    "sort_order": "asc",
    "in_fields": [FieldNameType("priority", int), "status"],
    "not_in_fields": ["status"],
    "null_fields": ["archived_at"],
    "not_null_fields": ["archived_at"],
    "boolean_fields": ["pinned"],
    "choice_fields": [ChoiceField("status", list(STATUSES))],
}


def _create_table(database: Database) -> None:
    if database.dialect == "postgres":
        columns = "id INTEGER PRIMARY KEY, title TEXT, status TEXT, priority INTEGER, pinned BOOLEAN, "
        columns += "archived_at TIMESTAMP, created_at TIMESTAMP, updated_at TIMESTAMP"
    else:
        columns = "id INTEGER PRIMARY KEY, title TEXT, status TEXT, priority INTEGER, pinned INTEGER, "
        columns += "archived_at TEXT, created_at TEXT, updated_at TEXT"
    database.execute(f"CREATE TABLE {database.table} ({columns})")
    connection = database._raw()
    marker = "%s" if database.dialect == "postgres" else "?"
    try:
        values: list[tuple[Any, ...]] = [
            (
                row.id,
                row.title,
                row.status,
                row.priority,
                row.pinned,
                row.archived_at,
                row.created_at,
                row.updated_at,
            )
            for row in ROWS
        ]
        if database.dialect != "postgres":  # SQLite: ISO text, as sqlspec binds datetimes
            values = [(*v[:5], *(d.isoformat(" ") if d else None for d in v[5:])) for v in values]
        cursor = connection.cursor()
        cursor.executemany(f"INSERT INTO {database.table} VALUES ({', '.join([marker] * 8)})", values)
        connection.commit()
    finally:
        connection.close()


def notes_app(database: Database, config: FilterConfig = NOTES) -> Litestar:
    """The same notes list for async configs (async handler) and sync configs (sync handler in a worker thread)."""
    select = f"SELECT id, title, status FROM {database.table}"
    db_config = database.config()

    @get("/notes", dependencies=create_filter_dependencies(config))
    async def list_notes(
        db_session: NamedDependency[AsyncDriverAdapterBase], filters: NamedDependency[SkipValidation[list[FilterTypes]]]
    ) -> OffsetPagination[Note]:
        page = await SQLSpecAsyncService(db_session).paginate(select, *filters, schema_type=Note)
        assert isinstance(page, OffsetPagination)
        return page

    @get("/notes", dependencies=create_filter_dependencies(config), sync_to_thread=True)
    def list_notes_sync(
        db_session: NamedDependency[SyncDriverAdapterBase], filters: NamedDependency[SkipValidation[list[FilterTypes]]]
    ) -> OffsetPagination[Note]:
        page = SQLSpecSyncService(db_session).paginate(select, *filters, schema_type=Note)
        assert isinstance(page, OffsetPagination)
        return page

    app, _ = make_app(db_config, route_handlers=[list_notes if db_config.is_async else list_notes_sync])
    return app


@pytest.fixture(params=["aiosqlite", "psycopg_async", "sqlite", "psycopg_sync"])
def notes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient[Litestar]]:
    database = make_database(request.param, tmp_path)
    _create_table(database)
    try:
        with TestClient(notes_app(database)) as client:
            yield client
    finally:
        database.teardown()


def _expected(keep: Callable[[Row], bool], *, key: Callable[[Row], Any] = lambda row: row.id) -> list[int]:
    return [row.id for row in sorted(filter(keep, ROWS), key=key)]


CASES: list[tuple[str, Callable[[Row], bool]]] = [
    ("", lambda row: True),
    ("ids=3&ids=7&ids=99", lambda row: row.id in (3, 7)),
    ("createdAfter=2024-01-10T12:00:00", lambda row: row.created_at > dt.datetime(2024, 1, 10, 12)),
    (
        "createdBefore=2024-01-08T12:00:00&updatedAfter=2024-02-01T12:00:00",
        lambda row: row.created_at < dt.datetime(2024, 1, 8, 12) and row.updated_at > dt.datetime(2024, 2, 1, 12),
    ),
    ("updatedBefore=2024-01-20T12:00:00", lambda row: row.updated_at < dt.datetime(2024, 1, 20, 12)),
    ("searchString=ALPHA", lambda row: "alpha" in row.title.lower()),
    ("searchString=Note%201", lambda row: "note 1" in row.title.lower()),
    ("statusIn=draft&statusIn=archived", lambda row: row.status in ("draft", "archived")),
    ("priorityIn=1&statusIn=draft", lambda row: row.priority == 1 and row.status == "draft"),
    ("statusNotIn=draft", lambda row: row.status != "draft"),
    ("archivedAtIsNull=true", lambda row: row.archived_at is None),
    ("archivedAtIsNotNull=true", lambda row: row.archived_at is not None),
    ("archivedAtIsNull=false", lambda row: True),
    ("pinnedBoolean=true", lambda row: row.pinned),
    ("pinnedBoolean=false", lambda row: not row.pinned),
    ("statusChoices=published", lambda row: row.status == "published"),
    (
        "statusNotIn=published&pinnedBoolean=false&searchString=beta",
        lambda row: row.status != "published" and not row.pinned and "beta" in row.title,
    ),
]


@pytest.mark.parametrize(("query", "keep"), CASES, ids=[case[0] or "no-filter" for case in CASES])
def test_each_filter_selects_the_rows_its_query_string_names(
    notes: TestClient[Litestar], query: str, keep: Callable[[Row], bool]
) -> None:
    expected = _expected(keep)
    response = notes.get(f"/notes?{query}&pageSize=25")
    assert response.status_code == 200, response.text
    page = response.json()
    assert [item["id"] for item in page["items"]] == expected[:25]
    assert (page["total"], page["limit"], page["offset"]) == (len(expected), 25, 0)


def test_pages_and_sorting(notes: TestClient[Litestar]) -> None:
    first = notes.get("/notes").json()
    assert [item["id"] for item in first["items"]] == list(range(1, 11))  # default: 10 a page, id ascending
    third = notes.get("/notes?currentPage=3&pageSize=7").json()
    assert [item["id"] for item in third["items"]] == list(range(15, 22))
    assert (third["limit"], third["offset"], third["total"]) == (7, 14, 30)
    newest = notes.get("/notes?orderBy=newest&sortOrder=desc&pageSize=3").json()
    assert [item["id"] for item in newest["items"]] == [30, 29, 28]
    by_camel = notes.get("/notes?orderBy=createdAt&sortOrder=desc&pageSize=3").json()
    assert by_camel["items"] == newest["items"]
    by_title = notes.get("/notes?orderBy=title&sortOrder=desc&pageSize=2").json()
    assert [item["title"] for item in by_title["items"]] == sorted((row.title for row in ROWS), reverse=True)[:2]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("orderBy=password", "Allowed fields"),
        ("orderBy=id;DROP TABLE x", "Allowed fields"),
        ("sortOrder=sideways", "sortOrder"),
        ("pageSize=26", "pageSize"),
        ("pageSize=0", "pageSize"),
        ("currentPage=0", "currentPage"),
        ("priorityIn=high", "priorityIn"),
        ("statusChoices=deleted", "statusChoices"),
        ("createdAfter=yesterday", "createdAfter"),
    ],
)
def test_bad_query_values_are_400_naming_the_parameter(notes: TestClient[Litestar], query: str, says: str) -> None:
    response = notes.get(f"/notes?{query}")
    assert response.status_code == 400, response.text
    assert says in response.text


def test_sibling_filters_of_different_types_never_cross_bind(notes: TestClient[Litestar]) -> None:
    """sqlspec #435: `priorityIn` (int) and `statusIn` (str) shared one parameter name and got each other's values."""
    response = notes.get("/notes?statusIn=published&priorityIn=2&priorityIn=3&pageSize=25")
    assert response.status_code == 200, response.text
    expected = _expected(lambda row: row.status == "published" and row.priority in (2, 3))
    assert [item["id"] for item in response.json()["items"]] == expected


def test_openapi_documents_every_query_parameter_and_the_page(notes: TestClient[Litestar]) -> None:
    schema = notes.get("/schema/openapi.json").json()
    operation = schema["paths"]["/notes"]["get"]
    parameters = {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}
    assert set(parameters) == {
        "ids",
        "createdBefore",
        "createdAfter",
        "updatedBefore",
        "updatedAfter",
        "currentPage",
        "pageSize",
        "searchString",
        "searchIgnoreCase",
        "orderBy",
        "sortOrder",
        "priorityIn",
        "statusIn",
        "statusNotIn",
        "archivedAtIsNull",
        "archivedAtIsNotNull",
        "pinnedBoolean",
        "statusChoices",
    }
    assert parameters["pageSize"]["type"] == "integer"
    assert (parameters["pageSize"]["minimum"], parameters["pageSize"]["maximum"]) == (1, 25)
    assert parameters["currentPage"]["minimum"] == 1
    text = repr(parameters)
    for name, fragment in [
        ("ids", "'integer'"),
        ("priorityIn", "'integer'"),
        ("statusIn", "'string'"),
        ("createdAfter", "date-time"),
        ("sortOrder", "'desc'"),
        ("statusChoices", "'published'"),
        ("pinnedBoolean", "'boolean'"),
    ]:
        assert fragment in repr(parameters[name]), (name, text)
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    page = _resolve(schema, ok)
    assert set(page["properties"]) == {"items", "limit", "offset", "total"}
    assert set(page["required"]) == {"items", "limit", "offset", "total"}
    item = _resolve(schema, page["properties"]["items"]["items"])
    assert set(item["properties"]) == {"id", "title", "status"}


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref is None:
        return node
    resolved: dict[str, Any] = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return resolved


@pytest.mark.parametrize("kind", ["aiosqlite", "psycopg_async"])
@pytest.mark.parametrize("secret", [None, "s3cret"])
def test_cursor_pagination_walks_every_row_once(kind: str, secret: str | None, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    _create_table(database)
    config: FilterConfig = {"pagination_type": "cursor", "cursor_keys": ["id"], "pagination_size": 7}
    if secret:
        config["cursor_secret"] = secret
    select = f"SELECT id, title, status FROM {database.table}"

    @get("/notes", dependencies=create_filter_dependencies(config))
    async def list_notes(
        db_session: NamedDependency[AsyncDriverAdapterBase], filters: NamedDependency[SkipValidation[list[FilterTypes]]]
    ) -> Any:
        return await SQLSpecAsyncService(db_session).paginate(select, *filters, schema_type=Note)

    app, _ = make_app(database.config(), route_handlers=[list_notes])
    try:
        with TestClient(app) as client:
            seen: list[int] = []
            cursor: str | None = None
            for _ in range(10):
                page = client.get("/notes", params={"cursor": cursor} if cursor else {}).json()
                seen += [item["id"] for item in page["items"]]
                cursor = page["next_cursor"]
                if not page["has_next"]:
                    break
            assert seen == [row.id for row in ROWS]
            assert client.get("/notes?cursor=not-a-cursor").status_code == 400
            if secret:
                first = client.get("/notes").json()["next_cursor"]
                forged = first[:-2] + ("AA" if first[-2:] != "AA" else "BB")
                response = client.get("/notes", params={"cursor": forged})
                assert response.status_code == 400
                assert "Invalid pagination cursor" in response.text
    finally:
        database.teardown()


def test_dependency_keys_renamed_through_dependency_defaults_still_aggregate(tmp_path: Path) -> None:
    """The aggregate asks for the renamed keys (a fixed ``limit_offset_filter`` name would find nothing)."""

    class Renamed(DependencyDefaults):
        FILTERS_DEPENDENCY_KEY = "note_filters"
        LIMIT_OFFSET_FILTER_DEPENDENCY_KEY = "paging"
        SEARCH_FILTER_DEPENDENCY_KEY = "text_search"
        DEFAULT_PAGINATION_SIZE = 4

    dependencies = create_filter_dependencies({"pagination_type": "limit_offset", "search": "title"}, Renamed())
    assert set(dependencies) == {"note_filters", "paging", "text_search"}

    @get("/filters", dependencies=dependencies)
    async def show(note_filters: NamedDependency[SkipValidation[list[FilterTypes]]]) -> list[list[Any]]:
        return [
            [type(each).__name__, getattr(each, "limit", None), getattr(each, "value", None)] for each in note_filters
        ]

    app, _ = make_app(make_database("aiosqlite", tmp_path).config(), route_handlers=[show])
    with TestClient(app) as client:
        shown = client.get("/filters?searchString=x").json()
    assert shown == [["LimitOffsetFilter", 4, None], ["SearchFilter", None, "x"]]


def test_cache_shares_equal_configs_and_separates_different_ones() -> None:
    config: FilterConfig = {"pagination_type": "limit_offset", "in_fields": ["status"]}
    assert create_filter_dependencies(config) is create_filter_dependencies(dict(config))  # type: ignore[arg-type]

    class BigPages(DependencyDefaults):
        DEFAULT_PAGINATION_SIZE = 100

    small = create_filter_dependencies({"pagination_type": "limit_offset"})
    big = create_filter_dependencies({"pagination_type": "limit_offset"}, BigPages())
    assert small is not big
    assert _default_of(small["limit_offset_filter"], "pageSize") == 20
    assert _default_of(big["limit_offset_filter"], "pageSize") == 100

    class Status(enum.Enum):
        OPEN = "open"

    first = create_filter_dependencies({"choice_fields": [ChoiceField("status", Status)]})

    class Status(enum.Enum):  # type: ignore[no-redef]  # same name and repr, other members
        CLOSED = "closed"

    second = create_filter_dependencies({"choice_fields": [ChoiceField("status", Status)]})
    assert first is not second


def _default_of(provide: Provide, alias: str) -> Any:
    for parameter in inspect.signature(provide.dependency).parameters.values():
        if f"name={alias!r}" in repr(parameter.annotation):
            return parameter.default
    raise AssertionError(alias)


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"pagination_typ": "limit_offset"}, "did you mean 'pagination_type'"),
        ({"pagination_type": "pages"}, "'pages'"),
        ({"pagination_type": "limit_offset", "pagination_size": 50, "pagination_max_size": 10}, "exceeds"),
        ({"pagination_type": "limit_offset", "pagination_size": 0}, "pagination_size"),
        ({"sort_field": "id; DROP TABLE notes"}, "'id; DROP TABLE notes' is not a column name"),
        ({"sort_field": ["id"], "sort_order": "up"}, "'up'"),
        ({"sort_field": ["id"], "sort_field_aliases": {"x": "password"}}, "'password'"),
        ({"sort_field": ["a_b", "aB"]}, "ambiguous"),
        ({"in_fields": ["status", "bad name"]}, "'bad name'"),
        ({"in_fields": ["a.b", "a_b"]}, "twice"),
        ({"id_filter": "int"}, "id_filter"),
        ({"pagination_type": "cursor"}, "cursor_keys"),
        ({"pagination_type": "cursor", "cursor_keys": ["id"], "cursor_secret": ""}, "cursor_secret"),
        ({"choice_fields": [ChoiceField("status", [])]}, "choices"),
        ({"search_ignore_case": "yes", "search": "title"}, "search_ignore_case"),
    ],
)
def test_bad_configs_fail_when_built_naming_the_value(config: dict[str, Any], says: str) -> None:
    with pytest.raises(ImproperConfigurationError, match=r"FilterConfig|ChoiceField") as error:
        create_filter_dependencies(config)  # type: ignore[arg-type]
    assert says in str(error.value)


def test_a_config_enabling_nothing_gives_no_dependencies() -> None:
    assert create_filter_dependencies({}) == {}
