"""Sync configs never block the event loop: every blocking call runs in a worker thread.

Written by hand (not generated): it is about the loop, which only the async side has.
"""

import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from litestar import get
from litestar.di import NamedDependency
from sqlspec.adapters.psycopg import PsycopgSyncConfig
from sqlspec.adapters.sqlite import SqliteConfig
from sqlspec.driver import SyncDriverAdapterBase

from tests.apps import make_app
from tests.databases import require_postgres
from tests.flavour_async import serve

HOLD_SECONDS = 0.4
REQUESTS = 8
# The loop is blocked by a sync call for HOLD_SECONDS or more; scheduling noise is a few milliseconds.
MAX_LAG_SECONDS = HOLD_SECONDS / 2


class LoopLag:
    """Measures how late the event loop wakes a sleeping task."""

    def __init__(self) -> None:
        self.worst = 0.0

    async def watch(self, stop: anyio.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            await anyio.sleep(0.01)
            self.worst = max(self.worst, time.monotonic() - started - 0.01)


def psycopg_config() -> Any:
    dsn = require_postgres()
    # two connections for eight requests: the rest must wait without holding the loop or a worker thread
    return PsycopgSyncConfig(connection_config={"conninfo": dsn, "min_size": 2, "max_size": 2, "timeout": 20})


def sqlite_config(tmp_path: Path) -> Any:
    return SqliteConfig(connection_config={"database": str(tmp_path / "app.db")})


@pytest.mark.parametrize("kind", ["psycopg_sync", "sqlite"])
async def test_loop_stays_responsive_while_sync_connections_are_busy(kind: str, tmp_path: Path) -> None:
    config = psycopg_config() if kind == "psycopg_sync" else sqlite_config(tmp_path)

    @get("/slow", sync_to_thread=True)
    def slow(db_session: NamedDependency[SyncDriverAdapterBase]) -> int:
        db_session.select_value("SELECT 1")
        time.sleep(HOLD_SECONDS)  # the handler holds its connection, in its worker thread
        return 1

    @get("/ping")
    async def ping() -> str:
        return "pong"

    app, plugin = make_app(config, route_handlers=[slow, ping])
    lag = LoopLag()
    ping_seconds: list[float] = []
    statuses: list[int] = []
    try:
        async with serve(app) as client:

            async def call_slow() -> None:
                statuses.append((await client.get("/slow")).status_code)

            async def call_ping() -> None:
                await anyio.sleep(HOLD_SECONDS / 4)
                started = time.monotonic()
                assert (await client.get("/ping")).text == "pong"
                ping_seconds.append(time.monotonic() - started)

            stop = anyio.Event()
            async with anyio.create_task_group() as outer:
                outer.start_soon(lag.watch, stop)
                async with anyio.create_task_group() as group:
                    for _ in range(REQUESTS):
                        group.start_soon(call_slow)
                    group.start_soon(call_ping)
                stop.set()
    finally:
        config.close_pool()
    assert statuses == [200] * REQUESTS
    assert ping_seconds[0] < MAX_LAG_SECONDS, f"/ping waited {ping_seconds[0]:.3f}s behind sync database work"
    assert lag.worst < MAX_LAG_SECONDS, f"the event loop stalled for {lag.worst:.3f}s"
    assert plugin is not None


async def test_a_request_that_gets_no_connection_in_time_is_answered_503() -> None:
    dsn = require_postgres()
    config = PsycopgSyncConfig(connection_config={"conninfo": dsn, "min_size": 1, "max_size": 1, "timeout": 0.5})
    holding = threading.Event()

    @get("/hold", sync_to_thread=True)
    def hold(db_session: NamedDependency[SyncDriverAdapterBase]) -> int:
        holding.set()
        time.sleep(1.5)
        return int(db_session.select_value("SELECT 1"))

    @get("/other", sync_to_thread=True)
    def other(db_session: NamedDependency[SyncDriverAdapterBase]) -> int:
        return int(db_session.select_value("SELECT 1"))

    app, _ = make_app(config, route_handlers=[hold, other])
    results: dict[str, Any] = {}
    try:
        async with serve(app) as client:

            async def call_hold() -> None:
                results["hold"] = (await client.get("/hold")).status_code

            async with anyio.create_task_group() as group:
                group.start_soon(call_hold)
                with anyio.fail_after(10):
                    while not holding.is_set():
                        await anyio.sleep(0.01)
                started = time.monotonic()
                response = await client.get("/other")
                results["waited"] = time.monotonic() - started
                results["other"] = response.status_code
                results["detail"] = response.json()["detail"]
            assert (await client.get("/other")).status_code == 200  # the pool is whole again
    finally:
        config.close_pool()
    assert results["hold"] == 200
    assert results["other"] == 503
    assert results["detail"] == "No database connection is available; try again later."
    assert results["waited"] < 1.4  # answered after the pool timeout, not after the holder let go
