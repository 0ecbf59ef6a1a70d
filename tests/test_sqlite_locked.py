"""A SQLite file locked by another process's writer: requests that need to write fail after the busy timeout, nothing
half-done is kept, the file stays intact, and everything works again once the lock is gone.

sqlspec's sync SQLite pool sets a 5 s busy timeout on every connection. The aiosqlite config is not exercised here:
sqlspec 0.69's compiled aiosqlite driver crashes the process when a write fails with "database is locked" inside a
request (asyncio's task wakeup raises TypeError in its compiled coroutine, and formatting that error segfaults; see
the README's known upstream issues).
"""

import sqlite3
import time
from pathlib import Path

import pytest
from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.testing import TestClient
from sqlspec.adapters.sqlite import SqliteConfig
from sqlspec.adapters.sqlite.pool import SQLITE_BUSY_TIMEOUT
from sqlspec.driver import SyncDriverAdapterBase

from tests.apps import make_app

BUSY_TIMEOUT = SQLITE_BUSY_TIMEOUT / 1000

pytestmark = pytest.mark.slow


def test_a_locked_sqlite_file_fails_writes_cleanly_and_recovers(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE item (name TEXT NOT NULL)")
    config = SqliteConfig(
        connection_config={"database": str(path)},
        extension_config={"litestar": {"commit_mode": "autocommit"}},
    )
    insert = "INSERT INTO item (name) VALUES (:name)"

    @post("/items/{name:str}", sync_to_thread=True)
    def add_sync(name: FromPath[str], db_session: NamedDependency[SyncDriverAdapterBase]) -> None:
        db_session.execute(insert, {"name": name})

    app, plugin = make_app(config, route_handlers=[add_sync])
    with TestClient(app) as client:
        assert client.post("/items/before").status_code == 201
        other_writer = sqlite3.connect(path, isolation_level=None)
        other_writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        other_writer.execute("INSERT INTO item (name) VALUES ('theirs')")
        try:
            started = time.monotonic()
            response = client.post("/items/while-locked")
            waited = time.monotonic() - started
            assert response.status_code == 500
            assert "locked" not in response.text  # no database text in the response
            assert BUSY_TIMEOUT * 0.8 <= waited < BUSY_TIMEOUT + 5  # bounded: the busy timeout, not forever
        finally:
            other_writer.execute("COMMIT")
            other_writer.close()
        assert client.post("/items/after").status_code == 201
        checkout = plugin._runtime_for(config).checkout_pool
        assert checkout is not None
        assert checkout.checked_out == 0
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = sorted(name for (name,) in check.execute("SELECT name FROM item"))
    assert names == ["after", "before", "theirs"]  # nothing of the request that failed
