"""The first connections to a new SQLite file, opened while another process writes to it, leave no trace.

sqlspec 0.69's aiosqlite pool switches every new connection to WAL and retries "database is locked" by sleeping inside
its ``except`` block; connections that race for that switch leave the handled error in the event loop thread's
exception state, and sqlspec's drivers then run every later statement on that thread as if it were raised during that
error. The plugin opens the pool's connections at startup, one after another, so none is opened under load.
"""

import sqlite3
import sys
from pathlib import Path

import anyio
from litestar import get
from litestar.di import NamedDependency
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.driver import AsyncDriverAdapterBase

from tests.apps import make_app
from tests.flavour_async import gather, serve

POOL_SIZE = 5


async def test_first_connections_opened_while_another_process_writes_leave_no_error_behind(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    config = AiosqliteConfig(connection_config={"database": str(path), "pool_size": POOL_SIZE})

    @get("/hold")
    async def hold(db_session: NamedDependency[AsyncDriverAdapterBase]) -> int:
        await anyio.sleep(0.05)  # every request holds its connection: the pool opens all of them at once
        return int(await db_session.select_value("SELECT 1"))

    app, _ = make_app(config, route_handlers=[hold])
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        async with serve(app) as client:
            assert config.connection_instance is not None
            assert config.connection_instance.size() == POOL_SIZE  # every connection opened at startup, in turn
            writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock while the connections open

            async def call(index: int) -> int:
                if index == POOL_SIZE:
                    await anyio.sleep(0.2)
                    writer.execute("COMMIT")
                    return 200
                return (await client.get("/hold")).status_code

            assert await gather(call, POOL_SIZE + 1) == [200] * (POOL_SIZE + 1)
            assert sys.exc_info() == (None, None, None)
    finally:
        writer.close()
