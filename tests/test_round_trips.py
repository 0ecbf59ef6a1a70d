"""Network round trips on PostgreSQL, counted by a loopback proxy: one per store operation on every driver, and the
asyncpg pool's reset spared only for connections the package's own statements used."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from bench.turns import TurnCounter
from litestar import get
from litestar.di import NamedDependency

from litestar_sqlspec import SQLSpecStore
from litestar_sqlspec._async import close_pool_async, open_pool_async
from tests.apps import make_app
from tests.databases import require_postgres
from tests.flavour_async import serve


def postgres_config(kind: str, port: int, **litestar: Any) -> Any:
    from sqlspec.adapters.asyncpg import AsyncpgConfig
    from sqlspec.adapters.psqlpy import PsqlpyConfig
    from sqlspec.adapters.psycopg import PsycopgAsyncConfig

    dsn = f"postgresql://postgres@127.0.0.1:{port}/test"
    extension: Any = {"litestar": litestar}
    if kind == "asyncpg":
        return AsyncpgConfig(connection_config={"dsn": dsn, "min_size": 1, "max_size": 1}, extension_config=extension)
    if kind == "psqlpy":
        return PsqlpyConfig(connection_config={"dsn": dsn, "max_db_pool_size": 2}, extension_config=extension)
    pool = {"conninfo": dsn, "min_size": 1, "max_size": 1}
    return PsycopgAsyncConfig(connection_config=pool, extension_config=extension)


@pytest.fixture
async def counter() -> AsyncIterator[TurnCounter]:
    require_postgres()
    turns = TurnCounter()
    await turns.start()
    yield turns
    await turns.stop()


@pytest.mark.parametrize("kind", ["asyncpg", "psqlpy", "psycopg_async"])
async def test_every_store_operation_is_one_round_trip(kind: str, counter: TurnCounter) -> None:
    config = postgres_config(kind, counter.port, session_table=f"trips_{uuid.uuid4().hex[:10]}")
    await open_pool_async(config)
    store = SQLSpecStore(config)
    await store.create_table()
    operations: dict[str, Callable[[], Awaitable[Any]]] = {
        "set": lambda: store.set("k", b"v" * 100, expires_in=60),
        "get": lambda: store.get("k"),
        "get renew_for": lambda: store.get("k", renew_for=60),
        "exists": lambda: store.exists("k"),
        "expires_in": lambda: store.expires_in("k"),
        "delete": lambda: store.delete("k"),
    }
    try:
        trips = {}
        for name, operation in operations.items():
            await operation()  # the first use of a statement may prepare it
            before = counter.turns
            for _ in range(20):
                await operation()
            trips[name] = (counter.turns - before) / 20
        # (a pool's own upkeep may add a turn now and then: psycopg_pool's)
        assert all(trip <= 1.1 for trip in trips.values()), trips
    finally:
        await store.drop_table()
        await close_pool_async(config)


async def test_asyncpg_still_resets_connections_a_request_used(counter: TurnCounter) -> None:
    config = postgres_config("asyncpg", counter.port, session_table=f"trips_{uuid.uuid4().hex[:10]}")
    store = SQLSpecStore(config)

    @get("/set-then-show")
    async def set_then_show(db_connection: NamedDependency[Any]) -> str:
        shown = await db_connection.fetchval("SHOW application_name")
        await db_connection.execute("SET application_name = 'changed_by_a_request'")  # session state, not local
        return str(shown)

    app, _ = make_app(config, route_handlers=[set_then_show])
    async with serve(app) as client:
        await store.create_table()
        try:
            first = (await client.get("/set-then-show")).text
            await store.set("k", b"v")  # the package's own statement on the pool's one connection, in between
            second = (await client.get("/set-then-show")).text
        finally:
            await store.drop_table()
    assert first == second != "changed_by_a_request"  # the one connection was reset between the requests


# A request running one statement in its transaction: BEGIN, the statement, COMMIT. asyncpg's pool reset travels with
# the COMMIT; psycopg sends BEGIN on its own; psqlpy has no reset to send.
REQUEST_TRIPS = {"asyncpg": 3, "psqlpy": 3, "psycopg_async": 3}


@pytest.mark.parametrize("kind", sorted(REQUEST_TRIPS))
@pytest.mark.parametrize("outcome", ["committed", "rolled back"])
async def test_a_request_with_one_statement_costs_begin_statement_and_end(
    kind: str, outcome: str, counter: TurnCounter
) -> None:
    config = postgres_config(kind, counter.port, commit_mode="autocommit")

    @get("/one", status_code=200)
    async def one(db_session: NamedDependency[Any]) -> int:
        value = int(await db_session.select_value("SELECT 1"))
        if outcome == "rolled back":
            raise ValueError(value)
        return value

    app, _ = make_app(config, route_handlers=[one])
    async with serve(app) as client:
        await client.get("/one")  # the statement prepared, the pool warm
        before = counter.turns
        for _ in range(10):
            response = await client.get("/one")
            assert response.status_code == (200 if outcome == "committed" else 500)
        trips = (counter.turns - before) / 10
    assert trips <= REQUEST_TRIPS[kind] + 0.1, trips


@pytest.mark.parametrize("fails", ["in the handler", "at COMMIT"])
async def test_asyncpg_resets_a_connection_whose_request_rolled_back(fails: str, counter: TurnCounter) -> None:
    config = postgres_config("asyncpg", counter.port, commit_mode="autocommit")
    table = f"deferred_{uuid.uuid4().hex[:8]}"

    @get("/change-then-fail", status_code=200)
    async def change_then_fail(db_connection: NamedDependency[Any]) -> str:
        shown = await db_connection.fetchval("SHOW application_name")
        await db_connection.execute("SET application_name = 'changed_by_a_request'")
        if fails == "in the handler":
            raise ValueError(shown)
        await db_connection.execute(f"INSERT INTO {table} VALUES (2)")  # violates the deferred check at COMMIT
        return str(shown)

    @get("/show")
    async def show(db_connection: NamedDependency[Any]) -> str:
        return str(await db_connection.fetchval("SHOW application_name"))

    app, _ = make_app(config, route_handlers=[change_then_fail, show])
    async with serve(app) as client:
        shown = (await client.get("/show")).text
        async with config.provide_connection() as connection:
            await connection.execute(
                f"CREATE TABLE {table} (id int UNIQUE DEFERRABLE INITIALLY DEFERRED); INSERT INTO {table} VALUES (2)"
            )
        try:
            failed = await client.get("/change-then-fail")
            after = (await client.get("/show")).text
        finally:
            async with config.provide_connection() as connection:
                await connection.execute(f"DROP TABLE {table}")
    assert failed.status_code == (500 if fails == "in the handler" else 409)
    assert after == shown != "changed_by_a_request"
