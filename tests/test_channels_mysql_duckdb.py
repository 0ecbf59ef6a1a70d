"""What the channels backend does on MySQL/MariaDB (a lock row, polling readers) and DuckDB (one process) only."""

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pymysql
import pytest
from sqlspec.adapters.duckdb import DuckDBConfig
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import SQLSpecChannelsBackend
from tests.channel_helpers import receiving_on
from tests.databases import close_pool, make_database, open_pool, require_mariadb


@pytest.fixture
def own_database() -> Iterator[str]:
    """A MariaDB database of the test's own: its connections are the ones whose ``db`` it is."""
    name = f"chan_{uuid.uuid4().hex[:10]}"
    with pymysql.connect(**require_mariadb(), autocommit=True) as admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with pymysql.connect(**require_mariadb(), autocommit=True) as admin, admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")


def kill_connections_to(database: str) -> int:
    """Kill every MariaDB connection whose current database is ``database``; how many."""
    with pymysql.connect(**require_mariadb(), autocommit=True) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT id FROM information_schema.processlist WHERE db = %s", (database,))
        ids = [row[0] for row in cursor.fetchall()]
        for connection_id in ids:
            cursor.execute(f"KILL {int(connection_id)}")
    return len(ids)


@pytest.mark.parametrize("kind", ["mariadb_async", "mariadb_sync"])
async def test_publish_and_stream_survive_the_server_dropping_every_connection(kind: str, own_database: str) -> None:
    from sqlspec.adapters.asyncmy import AsyncmyConfig
    from sqlspec.adapters.pymysql import PyMysqlConfig

    settings = {**require_mariadb(), "database": own_database}
    config_type: Any = AsyncmyConfig if kind == "mariadb_async" else PyMysqlConfig
    config = config_type(connection_config=settings, extension_config={"litestar": {"channels_table": "events"}})
    async with receiving_on(config) as (backend, receiver):
        await backend.subscribe(["s"])
        await backend.publish(b"one", ["s"])
        assert len(await receiver.wait_for(1)) == 1
        assert kill_connections_to(own_database) >= 1
        await backend.publish(b"two", ["s"])  # a dead pooled connection: logged and retried, not raised
        await backend.publish(b"three", ["s"])
        assert kill_connections_to(own_database) >= 1  # the reader's connection too, between two reads
        await backend.publish(b"four", ["s"])
        events = await receiver.wait_for(4, timeout=20)
        assert [payload for _, payload in events] == [b"one", b"two", b"three", b"four"]


@pytest.mark.parametrize(
    "kind", ["mariadb_async", "aiomysql", "mariadb_sync", "mysqlconnector_async", "mysqlconnector_sync", "duckdb"]
)
async def test_a_group_commit_that_fails_commits_none_of_its_messages(kind: str, tmp_path: Path) -> None:
    # A failed group commit is retried whole: had its first messages been committed alone (MySQL in autocommit,
    # DuckDB running each statement on its own), the retry would publish them twice.
    table = f"channels_{uuid.uuid4().hex[:10]}"
    async with receiving_on(make_database(kind, tmp_path).config(channels_table=table), history=10) as (backend, _):
        batch: list[Any] = [(["key"], b"first"), (["key"], None)]  # the second payload breaks NOT NULL
        with pytest.raises(Exception, match=r"(?i)null"):
            await backend._run(backend._ops.publish, batch, 0.0, "origin")
        assert await backend._run(backend._ops.max_id) == 0
        await backend.publish(b"after", ["c"])
        assert await backend.get_history("c") == [b"after"]


@pytest.mark.parametrize("kind", ["mariadb_async", "mariadb_sync"])
async def test_mysql_publishers_lock_one_row_of_a_lock_table_dropped_with_the_table(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    table = f"channels_{uuid.uuid4().hex[:10]}"
    config = database.config(channels_table=table)
    await open_pool(config)
    backend = SQLSpecChannelsBackend(config)
    try:
        assert backend._wake_mode == "poll"
        assert "FOR UPDATE" in backend._sql.publish[0]
        await backend.create_table()
        assert database.scalar(f"SELECT COUNT(*) FROM {table}_lock") == 1
        await backend.create_table()  # again: still one row
        assert database.scalar(f"SELECT COUNT(*) FROM {table}_lock") == 1
        await backend.drop_table()
        tables = f"SELECT COUNT(*) FROM information_schema.tables WHERE table_name IN ('{table}', '{table}_lock')"
        assert database.scalar(tables) == 0
    finally:
        database.drop_channels_table(table)
        await close_pool(config)


async def test_duckdb_channels_are_woken_by_the_publishes_of_their_own_process(tmp_path: Path) -> None:
    config = make_database("duckdb", tmp_path).config(channels_table="events")
    async with receiving_on(config, poll_interval=0.05) as (backend, receiver):
        assert backend._wake_mode == "process"
        await backend.subscribe(["d"])
        await anyio.sleep(0.2)  # the read that subscribing wakes is done
        await backend._run(backend._ops.publish, [(backend_keys(["d"]), b"unannounced")], time.time(), "origin")
        await anyio.sleep(0.5)  # a row nobody announced: no read at poll_interval, only the slow safety poll
        assert receiver.events == []
        with anyio.fail_after(2):
            await backend.publish(b"now", ["d"])  # wakes the reader, which reads both
            assert await receiver.wait_for(2) == [("d", b"unannounced"), ("d", b"now")]


def backend_keys(channels: list[str]) -> list[str]:
    from litestar_sqlspec.channels import _channel_key

    return [_channel_key(channel) for channel in channels]


def test_duckdb_databases_other_processes_can_open_are_refused(tmp_path: Path) -> None:
    shared = DuckDBConfig(connection_config={"database": str(tmp_path / "app.duckdb"), "read_only": True})
    with pytest.raises(ImproperConfigurationError, match=r"needs a writable DuckDB database; read_only=True"):
        SQLSpecChannelsBackend(shared)
    motherduck = DuckDBConfig(connection_config={"database": "md:app"})
    with pytest.raises(ImproperConfigurationError, match=r"'md:app' is shared with other processes"):
        SQLSpecChannelsBackend(motherduck)
    assert SQLSpecChannelsBackend(DuckDBConfig(connection_config={"database": ":memory:"})).table_name


@pytest.mark.parametrize("kind", ["mariadb_async", "mariadb_sync"])
async def test_a_payload_larger_than_the_server_takes_is_refused_not_retried_forever(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    packet = int(database.scalar("SELECT @@max_allowed_packet"))
    table = f"channels_{uuid.uuid4().hex[:10]}"
    async with receiving_on(database.config(channels_table=table), history=1) as (backend, _):
        fits = backend._largest_payload
        assert fits == min(backend.max_payload_bytes, (packet - 64 * 1024) // 2)
        if fits < backend.max_payload_bytes:
            with pytest.raises(ValueError, match=rf"half its max_allowed_packet of {packet}, less room"):
                await backend.publish(b"x" * (fits + 1), ["big"])
        with anyio.fail_after(30):
            await backend.publish(b"\xff" * fits, ["big"])  # the largest it takes goes through, as hex too
        assert await backend.get_history("big") == [b"\xff" * fits]
