"""Load: 500 concurrent requests through a pool of 5, async and sync configs; and 50 concurrent store writers.

Every request completes (or gets a clear 503 within the pool timeout), the event loop never stalls, and afterwards no
connection is checked out — counted by the pool and by PostgreSQL's ``pg_stat_activity``.
"""

import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, cast

import anyio
import httpx
import psycopg
import pytest
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.params import FromPath
from sqlspec.adapters.psycopg import PsycopgAsyncConfig
from sqlspec.driver import AsyncDriverAdapterBase, SyncDriverAdapterBase

from litestar_sqlspec import SQLSpecStore
from tests.apps import make_app
from tests.databases import PG_DSN, make_database, require_postgres, tagged_psycopg_config
from tests.flavour_async import serve

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REQUESTS = 500
POOL_SIZE = 5


class LoopLag:
    """The worst delay of a 5 ms timer on the event loop during the run.

    The client and the app share this loop, so 500 ready requests delay the timer by their scheduling (~0.1 s on two
    cores); a driver that blocked the loop for the pool's waits would delay it by seconds (sqlspec's extension: 12 s in
    bench/di.py's overload run).
    """

    def __init__(self) -> None:
        self.worst = 0.0
        self._running = True

    async def watch(self) -> None:
        while self._running:
            started = time.perf_counter()
            await anyio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - started - 0.005)

    def stop(self) -> None:
        self._running = False


def _busy_backends(application: str) -> Counter[str]:
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT state FROM pg_stat_activity WHERE application_name = %s", (application,)
        ).fetchall()
    return Counter(str(state) for (state,) in rows)


@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync"])
async def test_500_concurrent_requests_through_a_pool_of_5(kind: str) -> None:
    require_postgres()
    application = f"load_{uuid.uuid4().hex[:8]}"
    config = tagged_psycopg_config(
        kind,
        application,
        min_size=POOL_SIZE,
        max_size=POOL_SIZE,
        extension_config={"litestar": {"commit_mode": "autocommit"}},
    )
    work = "SELECT pg_sleep(0.002), pg_backend_pid()"

    @get("/work")
    async def async_work(db_session: NamedDependency[AsyncDriverAdapterBase]) -> int:
        return int((await db_session.select_one(work))["pg_backend_pid"])

    @get("/work", sync_to_thread=True)
    def sync_work(db_session: NamedDependency[SyncDriverAdapterBase]) -> int:
        return int(db_session.select_one(work)["pg_backend_pid"])

    app, _ = make_app(config, route_handlers=[async_work if config.is_async else sync_work])
    lag = LoopLag()
    statuses: Counter[int] = Counter()
    backends: set[int] = set()
    async with serve(app) as client, anyio.create_task_group() as tasks:
        tasks.start_soon(lag.watch)

        async def one() -> None:
            response = await client.get("/work")
            statuses[response.status_code] += 1
            if response.status_code == 200:
                backends.add(int(response.json()))

        started = time.perf_counter()
        async with anyio.create_task_group() as requests:
            for _ in range(REQUESTS):
                requests.start_soon(one)
        elapsed = time.perf_counter() - started
        lag.stop()
        assert statuses == Counter({200: REQUESTS})  # none waited the pool's timeout (that would be a 503)
        assert len(backends) == POOL_SIZE  # exactly the pool's connections served them
        stats = config.connection_instance.get_stats()
        assert stats["pool_size"] - stats["pool_available"] == 0  # none checked out, by the pool's count
        states = _busy_backends(application)
        assert states == Counter({"idle": POOL_SIZE}), states  # nothing left in a transaction or running
    assert lag.worst < 2, f"the event loop stalled {lag.worst * 1000:.0f} ms"
    print(f"{kind}: {REQUESTS} requests in {elapsed:.2f} s, {dict(statuses)}, timer lag {lag.worst * 1000:.0f} ms")


async def test_50_concurrent_writers_to_the_same_keys_lose_nothing(tmp_path: Path) -> None:
    """Each of 50 writers sets its own value of 5 shared keys, 20 times, reading each back: every read returns a value
    some writer wrote, nothing errors, and delete_expired brings the table back to the live keys."""
    database = make_database("psycopg_async", tmp_path)
    from tests.databases import close_pool, open_pool

    table = f"load_store_{uuid.uuid4().hex[:8]}"
    config = database.config(session_table=table)
    await open_pool(config)
    store = SQLSpecStore(config, namespace="sessions")
    errors: list[BaseException] = []
    written: dict[str, set[bytes]] = {f"key{number}": set() for number in range(5)}
    try:

        async def writer(index: int) -> None:
            try:
                for round_ in range(20):
                    for key, values in written.items():
                        value = f"{index}:{round_}".encode()
                        values.add(value)
                        await store.set(key, value, expires_in=3600)
                        assert await store.get(key) in values
                    await store.set(f"short-{index}-{round_}", b"x", expires_in=-1)  # already expired
            except BaseException as exc:
                errors.append(exc)

        async with anyio.create_task_group() as writers:
            for index in range(50):
                writers.start_soon(writer, index)
        assert errors == []
        for key, values in written.items():
            assert await store.get(key) in values
        assert await store.delete_expired() == 50 * 20
        with psycopg.connect(require_postgres(), autocommit=True) as connection:
            row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        assert row[0] == len(written)  # bounded: only the live keys remain
    finally:
        await store.drop_table()
        await close_pool(config)


async def test_a_session_heavy_run_keeps_every_session_and_cleanup_bounds_the_table() -> None:
    """200 clients sign in at once through Litestar's server-side sessions in the SQL store, each reads its own session
    back 5 times, half sign out; the sessions expire and one ``delete_expired`` leaves the table empty."""
    require_postgres()
    table = f"load_sessions_{uuid.uuid4().hex[:8]}"
    config = PsycopgAsyncConfig(
        connection_config={"conninfo": PG_DSN, "min_size": POOL_SIZE, "max_size": POOL_SIZE},
        extension_config={"litestar": {"default_store": True, "session_table": table}},
    )

    @post("/login/{user:str}")
    async def login(user: FromPath[str], request: Request[Any, Any, Any]) -> None:
        request.set_session({"user": user})

    @get("/me")
    async def me(request: Request[Any, Any, Any]) -> dict[str, Any]:
        return dict(request.session or {})

    @post("/logout")
    async def logout(request: Request[Any, Any, Any]) -> None:
        request.clear_session()

    sessions = ServerSideSessionConfig(max_age=2)
    app, _ = make_app(config, route_handlers=[login, me, logout], middleware=[sessions.middleware])
    mismatches: list[tuple[str, Any]] = []
    try:
        async with serve(app):
            transport = httpx.ASGITransport(app=cast("Any", app))  # the running app; a cookie jar per browser

            async def browser(index: int) -> None:
                async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as own:
                    user = f"user{index}"
                    assert (await own.post(f"/login/{user}")).status_code == 201
                    for _ in range(5):
                        seen = (await own.get("/me")).json()
                        if seen != {"user": user}:
                            mismatches.append((user, seen))
                    if index % 2:
                        assert (await own.post("/logout")).status_code == 201

            async with anyio.create_task_group() as browsers:
                for index in range(200):
                    browsers.start_soon(browser, index)
            assert mismatches == []
            store = SQLSpecStore(config, table_name=table, namespace="litestar")
            assert _rows(table) == 100  # the signed-out half is gone already
            await anyio.sleep(2.2)
            assert await store.delete_expired() == 100
            assert _rows(table) == 0
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f"DROP TABLE IF EXISTS {table}")


def _rows(table: str) -> int:
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])
