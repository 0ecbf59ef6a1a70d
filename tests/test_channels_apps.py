"""The channels backend across OS processes, through a lost listener connection, behind Litestar's ChannelsPlugin."""

import json
import os
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import anyio
import psycopg
import pytest
from litestar import Litestar, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.testing import TestClient
from sqlspec import SQLSpec
from sqlspec.adapters.psycopg import PsycopgAsyncConfig

from litestar_sqlspec import SQLSpecChannelsBackend, SQLSpecPlugin
from tests.channel_helpers import receiving_on, wait_until_delivered
from tests.databases import (
    MARIADB,
    PG_DSN,
    Database,
    close_pool,
    kill_backends,
    make_database,
    open_pool,
    require_postgres,
    tagged_psycopg_config,
)

SUBSCRIBER = """
import asyncio
import json
import sys

from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.psycopg import PsycopgAsyncConfig, PsycopgSyncConfig
from sqlspec.adapters.sqlite import SqliteConfig

from litestar_sqlspec import SQLSpecChannelsBackend

kind, where, table, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
extension = {{"litestar": {{"channels_table": table}}}}
if kind == "aiosqlite":
    config = AiosqliteConfig(connection_config={{"database": where}}, extension_config=extension)
elif kind == "sqlite":
    config = SqliteConfig(connection_config={{"database": where}}, extension_config=extension)
elif kind == "asyncpg":
    from sqlspec.adapters.asyncpg import AsyncpgConfig

    config = AsyncpgConfig(connection_config={{"dsn": where}}, extension_config=extension)
elif kind == "psqlpy":
    from sqlspec.adapters.psqlpy import PsqlpyConfig

    config = PsqlpyConfig(connection_config={{"dsn": where}}, extension_config=extension)
elif kind.startswith("mariadb"):
    from sqlspec.adapters.asyncmy import AsyncmyConfig
    from sqlspec.adapters.pymysql import PyMysqlConfig

    mysql_type = AsyncmyConfig if kind == "mariadb_async" else PyMysqlConfig
    config = mysql_type(connection_config=json.loads(where), extension_config=extension)
else:
    config_type = PsycopgAsyncConfig if kind == "psycopg_async" else PsycopgSyncConfig
    config = config_type(connection_config={{"conninfo": where}}, extension_config=extension)


async def main() -> None:
    backend = SQLSpecChannelsBackend(config)
    await backend.on_startup()
    await backend.subscribe(["x"])
    print("ready", flush=True)
    received = []
    async for _, payload in backend.stream_events():
        received.append(payload.decode())
        if len(received) == count:
            break
    await backend.on_shutdown()
    print(json.dumps(received), flush=True)


asyncio.run(main())
"""


def _where(database: Database) -> str:
    """How a subprocess reaches ``database``: its file, the PostgreSQL DSN, or the MariaDB settings as JSON."""
    if database.sqlite_path is not None:
        return str(database.sqlite_path)
    return json.dumps(MARIADB) if database.dialect == "mysql" else PG_DSN


@pytest.mark.parametrize(
    "kind",
    ["aiosqlite", "sqlite", "psycopg_async", "psycopg_sync", "asyncpg", "psqlpy", "mariadb_async", "mariadb_sync"],
)
async def test_a_second_os_process_receives_every_message_in_order(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    table = f"channels_{uuid.uuid4().hex[:10]}"
    config = database.config(channels_table=table)
    await open_pool(config)
    publisher = SQLSpecChannelsBackend(config)
    await publisher.on_startup()
    script = tmp_path / "subscriber.py"
    script.write_text(textwrap.dedent(SUBSCRIBER.format()))
    where = _where(database)
    count = 20
    try:
        async with await anyio.open_process(
            [sys.executable, str(script), kind, where, table, str(count)], env={**os.environ}
        ) as process:
            assert process.stdout is not None
            lines = process.stdout
            buffer = b""
            with anyio.fail_after(30):
                while b"ready\n" not in buffer:
                    buffer += await lines.receive()
                for index in range(count):
                    await publisher.publish(f"m{index}".encode(), ["x"])
                while not buffer.rstrip().endswith(b"]"):
                    buffer += await lines.receive()
                await process.wait()
        received = json.loads(buffer.decode().split("ready\n", 1)[1])
        assert received == [f"m{index}" for index in range(count)]
    finally:
        await publisher.on_shutdown()
        await publisher.drop_table()
        await close_pool(config)


PUBLISHER = """
import asyncio
import json
import sys

from sqlspec.adapters.asyncmy import AsyncmyConfig
from sqlspec.adapters.psycopg import PsycopgAsyncConfig

from litestar_sqlspec import SQLSpecChannelsBackend

dialect, where, table, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
extension = {"litestar": {"channels_table": table}}
if dialect == "mysql":
    config = AsyncmyConfig(connection_config=json.loads(where), extension_config=extension)
else:
    config = PsycopgAsyncConfig(connection_config={"conninfo": where}, extension_config=extension)


async def main() -> None:
    backend = SQLSpecChannelsBackend(config)
    for index in range(count):
        await backend.publish(f"theirs {index}".encode(), ["x"])
        await asyncio.sleep(0.001)
    await config.close_pool()


asyncio.run(main())
"""


@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync", "mariadb_async", "mariadb_sync"])
async def test_messages_of_this_process_and_of_another_interleave_once_each_in_order(kind: str, tmp_path: Path) -> None:
    # This process's publishes reach its subscriber without a read-back when nothing unread comes before them
    # (PostgreSQL); the other process's rows, committed in between, must still be read, once, in order (on MariaDB
    # the two processes' publishers race for ids).
    table = f"channels_{uuid.uuid4().hex[:10]}"
    script = tmp_path / "publisher.py"
    script.write_text(PUBLISHER)
    count = 60
    database = make_database(kind, tmp_path)
    command = [sys.executable, str(script), database.dialect, _where(database), table, str(count)]
    async with receiving_on(database.config(channels_table=table)) as (subscriber, receiver):
        await subscriber.subscribe(["x"])
        async with await anyio.open_process(command) as process:
            for index in range(count):
                await subscriber.publish(f"ours {index}".encode(), ["x"])
                await anyio.sleep(0.001)
            with anyio.fail_after(30):
                await process.wait()
        await receiver.wait_for(2 * count, timeout=20)
        await anyio.sleep(0.2)  # and nothing more arrives
        payloads = [payload.decode() for _, payload in receiver.events]
        assert len(payloads) == 2 * count
        for side in ("ours", "theirs"):
            assert [p for p in payloads if p.startswith(side)] == [f"{side} {index}" for index in range(count)]


@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync"])
async def test_a_killed_listener_connection_loses_no_message(kind: str, tmp_path: Path) -> None:
    database: Database = make_database(kind, tmp_path)
    table = f"channels_{uuid.uuid4().hex[:10]}"
    async with (
        receiving_on(database.config(channels_table=table)) as (listener, receiver),
        receiving_on(database.config(channels_table=table)) as (publisher, _),
    ):
        await listener.subscribe(["r"])
        for index in range(3):
            await publisher.publish(f"before{index}".encode(), ["r"])
        assert len(await receiver.wait_for(3)) == 3
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s", (f'LISTEN "{table}_wake"',)
            ).fetchall()
        assert killed == [(True,), (True,)], "both backends' listener connections should have been killed"
        for index in range(3):
            await publisher.publish(f"after{index}".encode(), ["r"])
        events = await receiver.wait_for(6, timeout=15)
        assert [payload for _, payload in events] == [
            f"{when}{index}".encode() for when in ("before", "after") for index in range(3)
        ]


@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync"])
async def test_publish_and_stream_survive_the_server_dropping_every_connection(kind: str) -> None:
    require_postgres()
    table = f"channels_{uuid.uuid4().hex[:10]}"
    config = tagged_psycopg_config(
        kind, table, min_size=2, max_size=2, extension_config={"litestar": {"channels_table": table}}
    )
    async with receiving_on(config) as (backend, receiver):
        await backend.subscribe(["s"])
        await backend.publish(b"one", ["s"])
        assert len(await receiver.wait_for(1)) == 1
        assert kill_backends(table) == 3  # every connection of the backend: two pooled, one listening
        await backend.publish(b"two", ["s"])  # a broken pooled connection: retried, not raised
        await backend.publish(b"three", ["s"])
        events = await receiver.wait_for(3, timeout=15)
        assert [payload for _, payload in events] == [b"one", b"two", b"three"]


@post("/say")
async def say(data: JSONBody[dict[str, str]], channels: NamedDependency[ChannelsPlugin]) -> None:
    await channels.wait_published(data["text"], channels=["chat"])


@pytest.mark.parametrize(
    "kind", ["aiosqlite", "sqlite", "psycopg_async", "asyncpg", "psqlpy", "mariadb_async", "mariadb_sync", "duckdb"]
)
def test_a_websocket_subscriber_receives_what_an_http_handler_publishes(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    table = f"channels_{uuid.uuid4().hex[:10]}"
    config = database.config(channels_table=table)
    spec = SQLSpec()
    spec.add_config(config)
    backend = SQLSpecChannelsBackend(config, history=5)
    channels = ChannelsPlugin(
        backend=backend, channels=["chat"], create_ws_route_handlers=True, ws_handler_send_history=2
    )
    app = Litestar(route_handlers=[say], plugins=[SQLSpecPlugin(spec), channels])
    try:
        with TestClient(app) as client:
            for text in ("first", "second", "third"):
                assert client.post("/say", json={"text": text}).status_code == 201
            wait_until_delivered(client.blocking_portal, backend)
            with client.websocket_connect("/chat") as socket:
                history = [socket.receive_text(timeout=10), socket.receive_text(timeout=10)]
                assert history == ["second", "third"]
                assert client.post("/say", json={"text": "live"}).status_code == 201
                assert socket.receive_text(timeout=10) == "live"
    finally:
        database.drop_channels_table(table)


def test_oracle_channels_backend_is_wired_without_a_server() -> None:
    from sqlspec.adapters.oracledb import OracleAsyncConfig, OracleSyncConfig

    for config_type in (OracleAsyncConfig, OracleSyncConfig):
        config: Any = config_type(connection_config={"dsn": "127.0.0.1:1/FREEPDB1", "user": "app", "password": "x"})
        backend = SQLSpecChannelsBackend(config)
        assert backend.table_name == "litestar_channels"
        assert backend._wake_mode == "poll"


async def test_publishes_that_do_not_wait_for_the_disk_flush_stay_ordered() -> None:
    dsn = require_postgres()
    table = f"channels_{uuid.uuid4().hex[:10]}"
    config = PsycopgAsyncConfig(
        connection_config={"conninfo": dsn}, extension_config={"litestar": {"channels_table": table}}
    )
    async with receiving_on(config, synchronous_commit=False) as (backend, receiver):
        assert "set_config('synchronous_commit', 'off', true)" in backend._sql.publish[0]
        await backend.subscribe(["fast"])
        for index in range(50):
            await backend.publish(f"{index}".encode(), ["fast"])
        events = await receiver.wait_for(50)
        assert [int(payload) for _, payload in events] == list(range(50))
    durable = SQLSpecChannelsBackend(config)
    assert "synchronous_commit" not in durable._sql.publish[0]


def test_a_forked_worker_wakes_the_parent_with_a_token_of_its_own() -> None:
    # Listeners skip the wake-ups of their own process: a worker forked after the parent made its token must not
    # inherit it, or the parent would never wake for the worker's messages.
    from litestar_sqlspec.channels import _origin

    parent = _origin()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the forked child
        os.write(write_end, _origin().encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    with os.fdopen(read_end, "rb") as pipe:
        token = pipe.read().decode()
    assert token
    assert token != parent
    assert _origin() == parent
