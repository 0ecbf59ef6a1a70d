"""SQLSpecStore honours Litestar's Store contract on every config kind (the facade is async for both flavours)."""

import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
import time_machine
from litestar.stores.base import NamespacedStore, Store
from litestar.stores.memory import MemoryStore
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec.channels import SQLSpecChannelsBackend
from litestar_sqlspec.store import AiosqliteStore, BaseSQLSpecStore, PsycopgSyncStore, SQLSpecStore
from tests.databases import (
    STORE_KINDS,
    Database,
    close_pool,
    make_database,
    open_pool,
    tagged_psycopg_config,
)

START = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture(params=STORE_KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    return make_database(request.param, tmp_path)


@pytest.fixture
async def store(database: Database) -> AsyncIterator[SQLSpecStore]:
    config = database.config(session_table=f"store_{uuid.uuid4().hex[:10]}")
    await open_pool(config)
    sql_store = SQLSpecStore(config, namespace="sessions")
    await sql_store.create_table()
    yield sql_store
    await sql_store.drop_table()
    await close_pool(config)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


async def test_values_round_trip_as_bytes(store: SQLSpecStore) -> None:
    every_byte = bytes(range(256)) * 4
    large = bytes(range(256)) * (3 * 4096)  # 3 MiB
    values: list[tuple[str, str | bytes]] = [
        ("text", "héllo ✓"),
        ("empty", b""),
        ("bytes", every_byte),
        ("large", large),
    ]
    for key, value in values:
        await store.set(key, value)
        expected = value.encode() if isinstance(value, str) else value
        assert await store.get(key) == expected
    assert await store.get("missing") is None


async def test_set_replaces_value_and_expiry(store: SQLSpecStore, clock: Any) -> None:
    await store.set("k", b"one", expires_in=10)
    await store.set("k", b"two")
    assert await store.get("k") == b"two"
    assert await store.expires_in("k") == -1
    await store.set("k", b"three", expires_in=timedelta(seconds=30))
    assert await store.expires_in("k") == 30


@pytest.mark.parametrize("expires_in", [5, 5.0, timedelta(seconds=5), timedelta(minutes=1, seconds=-55)])
async def test_expiry_accepts_int_float_and_timedelta(store: SQLSpecStore, clock: Any, expires_in: Any) -> None:
    await store.set("k", b"v", expires_in=expires_in)
    assert await store.expires_in("k") == 5
    clock.shift(4.5)
    assert await store.get("k") == b"v"
    assert await store.expires_in("k") == 0
    clock.shift(0.5)
    assert await store.get("k") is None
    assert await store.exists("k") is False
    assert await store.expires_in("k") is None


@pytest.mark.parametrize("no_expiry", [None, 0, 0.0, timedelta(0)])
async def test_none_or_zero_means_no_expiry(store: SQLSpecStore, clock: Any, no_expiry: Any) -> None:
    await store.set("k", b"v", expires_in=no_expiry)
    clock.shift(10**7)
    assert await store.get("k") == b"v"
    assert await store.expires_in("k") == -1
    assert await store.exists("k") is True


async def test_negative_expiry_is_already_expired(store: SQLSpecStore) -> None:
    await store.set("k", b"v", expires_in=-1)
    assert await store.get("k") is None
    assert await store.exists("k") is False


async def test_renew_moves_a_set_expiry_and_leaves_none_alone(store: SQLSpecStore, clock: Any) -> None:
    await store.set("expiring", b"v", expires_in=10)
    await store.set("forever", b"w")
    clock.shift(8)
    assert await store.get("expiring", renew_for=60) == b"v"
    assert await store.expires_in("expiring") == 60
    assert await store.get("forever", renew_for=timedelta(seconds=60)) == b"w"
    assert await store.expires_in("forever") == -1
    clock.shift(59)
    assert await store.get("expiring") == b"v"
    clock.shift(2)
    assert await store.get("expiring", renew_for=60) is None  # expired: not revived


async def test_delete_and_exists(store: SQLSpecStore) -> None:
    await store.set("k", b"v")
    assert await store.exists("k") is True
    await store.delete("k")
    await store.delete("k")  # deleting a missing key is fine
    assert await store.exists("k") is False


@pytest.mark.parametrize(
    "key", ["a b", "..", "../../etc/passwd", "'; DROP TABLE x; --", "%_\\", "ключ", "🔑", "\x00nul", "x" * 10_000]
)
async def test_any_string_is_a_key(store: SQLSpecStore, key: str) -> None:
    await store.set(key, key.encode("utf-8"))
    assert await store.get(key) == key.encode("utf-8")
    assert await store.get(key + "!") is None


async def test_namespaces_differing_in_case_spaces_or_accents_are_distinct(store: SQLSpecStore) -> None:
    # (MySQL's default collations would make all of these one namespace)
    names = ["cache", "Cache", "cache ", "cäche", "caché"]
    spaces = [store.with_namespace(name) for name in names]
    for space in spaces:
        await space.set("k", space.namespace.encode())
    assert [await space.get("k") for space in spaces] == [space.namespace.encode() for space in spaces]
    await spaces[0].delete_all()
    assert [await space.get("k") for space in spaces[1:]] == [space.namespace.encode() for space in spaces[1:]]
    await store.with_namespace("cä").delete_all()  # a prefix in characters is not one in bytes
    assert await spaces[3].get("k") == spaces[3].namespace.encode()


async def test_namespaces_are_isolated_and_delete_all_is_hierarchical(store: SQLSpecStore) -> None:
    cache = store.with_namespace("response_cache")
    limits = store.with_namespace("rate_limit")
    nested = cache.with_namespace("child")
    assert isinstance(cache, NamespacedStore)
    assert nested.namespace == "sessions/response_cache/child"
    for each in (store, cache, limits, nested):
        await each.set("shared", each.namespace.encode())
    assert [await each.get("shared") for each in (store, cache, limits, nested)] == [
        b"sessions",
        b"sessions/response_cache",
        b"sessions/rate_limit",
        b"sessions/response_cache/child",
    ]
    await cache.delete_all()
    assert await cache.get("shared") is None
    assert await nested.get("shared") is None
    assert await store.get("shared") == b"sessions"
    assert await limits.get("shared") == b"sessions/rate_limit"
    await store.delete_all()
    assert await limits.get("shared") is None


async def test_stores_with_different_namespaces_share_a_table_without_clobbering(database: Database) -> None:
    config = database.config(session_table=f"store_{uuid.uuid4().hex[:10]}")
    sessions, cache = SQLSpecStore(config, namespace="sessions"), SQLSpecStore(config, namespace="sessions_cache")
    try:
        await sessions.set("k", b"session")
        await cache.set("k", b"cache")
        await cache.delete_all()  # "sessions_cache" is not below "sessions", nor the reverse
        assert await sessions.get("k") == b"session"
        assert await cache.get("k") is None
    finally:
        await sessions.drop_table()
        await close_pool(config)


async def test_delete_expired_removes_only_expired_rows(store: SQLSpecStore, clock: Any) -> None:
    await store.set("short", b"v", expires_in=1)
    await store.with_namespace("other").set("short", b"v", expires_in=1)
    await store.set("long", b"v", expires_in=100)
    await store.set("forever", b"v")
    clock.shift(2)
    assert await store.delete_expired() == 2
    assert await store.delete_expired() == 0
    assert await store.get("long") == b"v"
    assert await store.get("forever") == b"v"


async def test_concurrent_writers_of_one_key_leave_one_written_value(store: SQLSpecStore) -> None:
    written = {f"value-{index}".encode() for index in range(50)}

    async def write_then_read(index: int) -> None:
        await store.set("hot", f"value-{index}".encode())
        assert await store.get("hot") in written

    async with anyio.create_task_group() as group:
        for index in range(50):
            group.start_soon(write_then_read, index)
    assert await store.get("hot") in written


async def _setting_of_the_only_connection(config: Any, name: str) -> str:
    query = f"SHOW {name}"
    if config.is_async:
        async with config.provide_connection() as connection:
            cursor = await connection.execute(query)
            row = await cursor.fetchone()
    else:

        def show() -> Any:
            with config.provide_connection() as connection:
                return connection.execute(query).fetchone()

        row = await anyio.to_thread.run_sync(show)
    return str(row[0])


Operation = Callable[[Store, str], Awaitable[Any]]
CONCURRENT_OPERATIONS: dict[str, Operation] = {
    "get": lambda store, key: store.get(key),
    "exists": lambda store, key: store.exists(key),
    "expires_in": lambda store, key: store.expires_in(key),
    "get with renew": lambda store, key: store.get(key, renew_for=50),
    "expires_in after renew": lambda store, key: store.expires_in(key),
    "set": lambda store, key: store.set(key, f"new {key}", expires_in=30 if key.endswith("0") else None),
    "get after set": lambda store, key: store.get(key),
    "delete": lambda store, key: store.delete(key) if key.endswith(("1", "2")) else store.exists(key),
    "expires_in after delete": lambda store, key: store.expires_in(key),
}


async def test_concurrent_operations_of_every_kind_answer_each_caller_as_memory_store_does(
    store: SQLSpecStore, clock: Any
) -> None:
    # 120 calls of one kind at once, more than the pool has connections: on PostgreSQL they go out in batches.
    memory = MemoryStore()
    for target in (store, memory):
        for index in range(90):
            await target.set(f"k{index}", f"v{index}", expires_in=(None, 1, 100)[index % 3])
    clock.shift(2)  # a third of the keys expired; k90..k119 were never set
    keys = [f"k{index}" for index in range(120)]

    async def each(target: Store, operation: Operation) -> dict[str, Any]:
        answers: dict[str, Any] = {}

        async def one(key: str) -> None:
            answers[key] = await operation(target, key)

        async with anyio.create_task_group() as group:
            for key in keys:
                group.start_soon(one, key)
        return answers

    for name, operation in CONCURRENT_OPERATIONS.items():
        assert await each(store, operation) == await each(memory, operation), name


@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync"])
async def test_on_postgresql_concurrent_operations_share_statements(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    config = database.config(session_table=f"store_{uuid.uuid4().hex[:10]}")
    await open_pool(config)
    sql_store = SQLSpecStore(config)
    try:
        await sql_store.create_table()
        config.connection_instance.pop_stats()
        async with anyio.create_task_group() as group:
            for index in range(200):
                group.start_soon(sql_store.set, f"k{index}", f"v{index}")
        assert config.connection_instance.pop_stats().get("requests_num", 0) < 100  # connections asked of the pool
        values = [await sql_store.get(f"k{index}") for index in range(200)]
        assert values == [f"v{index}".encode() for index in range(200)]
    finally:
        await sql_store.drop_table()
        await close_pool(config)


@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync"])
@pytest.mark.parametrize(
    ("given", "setting", "relaxed"), [(None, None, True), (True, None, False), (None, True, False)]
)
async def test_on_postgresql_writes_skip_the_disk_flush_unless_asked_and_only_in_their_own_transaction(
    kind: str, given: bool | None, setting: bool | None, relaxed: bool
) -> None:
    extension = {"litestar": {"store_synchronous_commit": setting}} if setting is not None else {}
    config = tagged_psycopg_config(kind, "relaxed-store", min_size=1, max_size=1, extension_config=extension)
    await open_pool(config)
    sql_store = SQLSpecStore(config, table_name=f"store_{uuid.uuid4().hex[:10]}", synchronous_commit=given)
    statements = sql_store._backend._ops.sql
    assert statements.batch is not None
    writes = [statements.upsert, *statements.get_and_renew, statements.delete]
    writes += [statements.batch.upsert, statements.batch.renew, statements.batch.delete]
    assert all(("set_config('synchronous_commit', 'off', true)" in write) is relaxed for write in writes)
    try:
        await sql_store.create_table()
        await sql_store.set("k", b"v", expires_in=10)
        assert await sql_store.get("k", renew_for=20) == b"v"
        await sql_store.delete("k")
        assert await sql_store.get("k") is None

        assert await _setting_of_the_only_connection(config, "synchronous_commit") == "on"  # nothing leaked
    finally:
        await sql_store.drop_table()
        await close_pool(config)


async def _kept_result_bytes_of_the_only_connection(config: Any) -> int | None:
    # what the store's kept cursor on the pool's only connection still holds (None: no cursor kept)
    def held(connection: Any) -> int | None:
        cursor = connection.__dict__.get("_litestar_sqlspec_cursor")
        if cursor is None or cursor.pgresult is None:
            return None
        result = cursor.pgresult
        cells = (result.get_value(row, column) for row in range(result.ntuples) for column in range(result.nfields))
        return sum(len(cell or b"") for cell in cells)

    if config.is_async:
        async with config.provide_connection() as connection:
            return held(connection)

    def in_thread() -> int | None:
        with config.provide_connection() as connection:
            return held(connection)

    return await anyio.to_thread.run_sync(in_thread)


@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync"])
async def test_on_postgresql_an_idle_connection_holds_no_large_value_read_earlier(kind: str) -> None:
    config = tagged_psycopg_config(kind, "kept-results", min_size=1, max_size=1)
    await open_pool(config)
    sql_store = SQLSpecStore(config, table_name=f"store_{uuid.uuid4().hex[:10]}")
    page = bytes(range(256)) * 4096  # 1 MiB
    try:
        await sql_store.set("session", b"alice")
        assert await sql_store.get("session") == b"alice"
        kept = await _kept_result_bytes_of_the_only_connection(config)
        assert kept is not None
        assert kept < 1024
        await sql_store.set("page", page)
        assert await sql_store.get("page") == page
        assert await _kept_result_bytes_of_the_only_connection(config) is None
        assert await sql_store.get("session") == b"alice"  # a new cursor, kept again
        assert await _kept_result_bytes_of_the_only_connection(config) == kept
    finally:
        await sql_store.drop_table()
        await close_pool(config)


async def test_a_missing_table_is_created_on_first_use(database: Database) -> None:
    config = database.config(session_table=f"store_{uuid.uuid4().hex[:10]}")
    await open_pool(config)
    sql_store = SQLSpecStore(config)
    try:
        async with anyio.create_task_group() as group:  # first uses at once: each finds the table missing
            for index in range(20):
                group.start_soon(sql_store.set, f"k{index}", b"v")
        assert [await sql_store.get(f"k{index}") for index in range(20)] == [b"v"] * 20
    finally:
        await sql_store.drop_table()
        await close_pool(config)


@pytest.mark.parametrize("kind", ["aiosqlite", "psycopg_async", "sqlite", "psycopg_sync"])
def test_outside_an_app_operations_open_the_pool_and_close_it_after(kind: str, tmp_path: Path) -> None:
    # As `litestar sessions clear` uses it: under anyio.run, with no lifespan, one event loop after another.
    config = make_database(kind, tmp_path).config(session_table=f"store_{uuid.uuid4().hex[:10]}")
    sql_store = SQLSpecStore(config)

    async def write_at_once_then_read() -> list[bytes | None]:
        async with anyio.create_task_group() as group:
            for index in range(10):
                group.start_soon(sql_store.set, f"k{index}", f"v{index}")
        return [await sql_store.get(f"k{index}") for index in range(10)]

    try:
        assert anyio.run(write_at_once_then_read) == [f"v{index}".encode() for index in range(10)]
        assert config.connection_instance is None
        assert anyio.run(sql_store.get, "k3") == b"v3"  # another event loop
        assert config.connection_instance is None
    finally:
        anyio.run(sql_store.drop_table)
    assert config.connection_instance is None


@pytest.mark.parametrize("kind", ["aiosqlite", "psycopg_async", "sqlite", "psycopg_sync"])
def test_outside_an_app_stores_and_channels_on_one_config_share_its_pool(kind: str, tmp_path: Path) -> None:
    # A script with a session store, a cache store and a channels backend on one config, no lifespan: the pool one of
    # them opened stays open until the last of them is done, whichever finishes first.
    config = make_database(kind, tmp_path).config(
        session_table=f"sessions_{uuid.uuid4().hex[:8]}", channels_table=f"events_{uuid.uuid4().hex[:8]}"
    )
    sessions = SQLSpecStore(config)
    cache = SQLSpecStore(config, table_name=f"cache_{uuid.uuid4().hex[:8]}")
    channels = SQLSpecChannelsBackend(config, history=10)

    async def each_busy_at_its_own_pace() -> list[Any]:
        async def quick() -> None:
            await sessions.set("user", b"alice")

        async def slow() -> None:
            for index in range(30):
                await cache.set(f"page{index}", b"<html>")
                await anyio.sleep(0)

        history: list[bytes] = []

        async def publishing() -> None:
            await channels.on_startup()
            try:
                for index in range(10):
                    await channels.publish(f"event {index}".encode(), ["news"])
                history.extend(await channels.get_history("news"))
            finally:
                await channels.on_shutdown()

        async with anyio.create_task_group() as group:
            group.start_soon(quick)
            group.start_soon(slow)
            group.start_soon(publishing)
        return [await sessions.get("user"), await cache.get("page29"), len(history)]

    try:
        assert anyio.run(each_busy_at_its_own_pace) == [b"alice", b"<html>", 10]
        assert config.connection_instance is None
    finally:
        anyio.run(sessions.drop_table)
        anyio.run(cache.drop_table)
        anyio.run(SQLSpecChannelsBackend(config).drop_table)
    assert config.connection_instance is None


async def test_on_sqlite_the_store_and_channels_of_one_config_write_from_one_thread(tmp_path: Path) -> None:
    config = make_database("sqlite", tmp_path).config()
    await open_pool(config)
    before = set(threading.enumerate())
    sessions, cache = SQLSpecStore(config), SQLSpecStore(config, table_name="cache")
    channels = SQLSpecChannelsBackend(config, history=5)
    await channels.on_startup()
    try:
        async with anyio.create_task_group() as group:
            for index in range(20):
                group.start_soon(sessions.set, f"user{index}", b"alice")
                group.start_soon(cache.set, f"page{index}", b"<html>")
                group.start_soon(channels.publish, b"event", ["news"])
        assert len(await channels.get_history("news")) == 5
        # one worker thread for all three: one writer at a time on the file
        started = {thread.name for thread in set(threading.enumerate()) - before}
        assert {name for name in started if name.startswith("litestar-sqlspec")} == {"litestar-sqlspec-workers-1"}
    finally:
        await channels.on_shutdown()
        await sessions.drop_table()
        await cache.drop_table()
        await close_pool(config)


def test_outside_an_app_a_pool_that_cannot_open_fails_each_caller_and_is_tried_again_later(tmp_path: Path) -> None:
    folder = tmp_path / "not-yet"
    config = make_database("sqlite", tmp_path).factory({"litestar": {}})
    config.connection_config["database"] = str(folder / "app.db")
    stores = [SQLSpecStore(config), SQLSpecStore(config, table_name="cache")]

    async def each_reads() -> list[str]:
        failures: list[str] = []

        async def read(store: SQLSpecStore) -> None:
            try:
                await store.get("key")
            except Exception as exc:  # each caller's own error is what is checked
                failures.append(str(exc))

        async with anyio.create_task_group() as group:
            for store in stores:
                group.start_soon(read, store)
        return failures

    failures = anyio.run(each_reads)
    assert len(failures) == 2
    assert all("unable to open database file" in failure for failure in failures), failures
    folder.mkdir()  # the database can be opened now: nothing of the failed opening is in the way
    assert anyio.run(each_reads) == []
    assert config.connection_instance is None


async def test_a_missing_table_is_reported_when_creation_is_off(tmp_path: Path) -> None:
    database = make_database("aiosqlite", tmp_path)
    config = database.config(session_table="absent", create_schema=False)
    sql_store = SQLSpecStore(config)
    try:
        with pytest.raises(ImproperConfigurationError, match=r"store table 'absent' does not exist; create it with"):
            await sql_store.get("k")
    finally:
        await config.close_pool()


@pytest.mark.parametrize("table", ["bad-name", "1table", "t; DROP TABLE x", "a.b.c", "", "x" * 200])
def test_bad_table_names_are_rejected(tmp_path: Path, table: str) -> None:
    config = make_database("sqlite", tmp_path).config()
    with pytest.raises(ImproperConfigurationError, match="table name"):
        SQLSpecStore(config, table_name=table)


@pytest.mark.parametrize("namespace", ["", "a/b", "nul\x00", "x" * 300])
def test_bad_namespaces_are_rejected(tmp_path: Path, namespace: str) -> None:
    config = make_database("sqlite", tmp_path).config()
    with pytest.raises(ValueError, match="store namespace"):
        SQLSpecStore(config, namespace=namespace)
    with pytest.raises(ValueError, match="store namespace"):
        SQLSpecStore(config).with_namespace(namespace)


def test_drop_in_names_are_the_one_store(tmp_path: Path) -> None:
    assert AiosqliteStore is PsycopgSyncStore is SQLSpecStore
    assert issubclass(SQLSpecStore, BaseSQLSpecStore)
    config = make_database("sqlite", tmp_path).config(session_table="custom_sessions")
    assert SQLSpecStore(config).table_name == "custom_sessions"
    assert SQLSpecStore(make_database("sqlite", tmp_path).config()).table_name == "litestar_session"


def test_a_config_whose_table_setting_is_false_needs_an_explicit_table_name(tmp_path: Path) -> None:
    database = make_database("aiosqlite", tmp_path)
    for build, key in ((SQLSpecStore, "session_table"), (SQLSpecChannelsBackend, "channels_table")):
        config = database.config(**{key: False})
        with pytest.raises(ImproperConfigurationError, match=rf'\["{key}"\] is False'):
            build(config)
        assert build(config, table_name="explicit").table_name == "explicit"
