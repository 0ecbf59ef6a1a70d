"""PostgreSQL stopped and started while the app runs: requests fail during the outage with a clear error and work again
afterwards without restarting the app; a channel subscriber resumes and nothing published is lost.

This restarts the machine's PostgreSQL cluster (``pg_ctlcluster``), as CI's ``.ci/run`` may start it; it needs the
right to do so and is skipped where the cluster tool is missing (never in CI).
"""

import os
import shutil
import subprocess
import time
import uuid
from typing import Any

import anyio
import psycopg
import pytest
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlspec.adapters.psycopg import PsycopgAsyncConfig, PsycopgSyncConfig
from sqlspec.driver import AsyncDriverAdapterBase, SyncDriverAdapterBase

from tests.apps import make_app
from tests.channel_helpers import receiving_on
from tests.databases import PG_DSN, require_postgres
from tests.flavour_async import serve

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _ready() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode == 0


def _cluster(action: str) -> None:
    """``stop`` (fast) or ``start`` the cluster; ``start`` is a no-op when it already runs, and waits until ready."""
    if action == "start" and _ready():
        return
    version = sorted(os.listdir("/etc/postgresql"))[0]
    extra = ["-m", "fast"] if action == "stop" else []
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action, *extra]
    subprocess.run(command, check=True, timeout=60, capture_output=True)
    deadline = time.monotonic() + 30
    while action == "start" and not _ready():
        assert time.monotonic() < deadline, "PostgreSQL did not come back"
        time.sleep(0.2)


@pytest.fixture
def restartable() -> None:
    require_postgres()
    if shutil.which("pg_ctlcluster") is None or not os.path.isdir("/etc/postgresql"):
        if os.environ.get("CI"):
            pytest.fail("CI must be able to restart PostgreSQL (pg_ctlcluster)")
        pytest.skip("no pg_ctlcluster here")


@pytest.mark.usefixtures("restartable")
@pytest.mark.parametrize("kind", ["psycopg_async", "psycopg_sync"])
async def test_requests_and_channels_survive_a_postgresql_restart(kind: str) -> None:
    table = f"restart_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_DSN, autocommit=True) as admin:
        admin.execute(f"CREATE TABLE {table} (name TEXT NOT NULL)")
    config_type: Any = PsycopgAsyncConfig if kind == "psycopg_async" else PsycopgSyncConfig
    config = config_type(
        # a short pool timeout: a request that finds no live connection during the outage fails in 2 s, not 30
        connection_config={"conninfo": PG_DSN, "min_size": 2, "max_size": 2, "timeout": 2.0},
        extension_config={"litestar": {"commit_mode": "autocommit", "channels_table": f"{table}_events"}},
    )
    insert = f"INSERT INTO {table} (name) VALUES (:name)"

    @post("/items/{name:str}")
    async def add(name: FromPath[str], db_session: NamedDependency[AsyncDriverAdapterBase]) -> None:
        await db_session.execute(insert, {"name": name})

    @post("/items/{name:str}", sync_to_thread=True)
    def add_sync(name: FromPath[str], db_session: NamedDependency[SyncDriverAdapterBase]) -> None:
        db_session.execute(insert, {"name": name})

    @get("/health")
    async def health() -> str:
        return "ok"

    app, _ = make_app(config, route_handlers=[add if config.is_async else add_sync, health])
    try:
        async with serve(app) as client, receiving_on(config) as (backend, receiver):
            await backend.subscribe(["events"])
            assert (await client.post("/items/before")).status_code == 201
            await backend.publish(b"before", ["events"])
            assert len(await receiver.wait_for(1, timeout=10)) == 1

            await anyio.to_thread.run_sync(_cluster, "stop")
            try:
                started = time.monotonic()
                during = await client.post("/items/during")
                assert during.status_code in (500, 503), during.text
                assert "psycopg" not in during.text  # a clear HTTP error, no driver text
                assert time.monotonic() - started < 10
                assert (await client.get("/health")).status_code == 200  # the app itself is up
                async with anyio.create_task_group() as publishing:
                    publishing.start_soon(backend.publish, b"during", ["events"])  # retried until the server is back
                    await anyio.sleep(0.5)
                    await anyio.to_thread.run_sync(_cluster, "start")
            finally:
                await anyio.to_thread.run_sync(_cluster, "start")  # idempotent: never leave the server down

            statuses = []
            deadline = time.monotonic() + 30
            while True:
                status = (await client.post("/items/after")).status_code
                statuses.append(status)
                if status == 201 or time.monotonic() > deadline:
                    break
                await anyio.sleep(0.2)
            assert statuses[-1] == 201, statuses  # healed without restarting the app
            await backend.publish(b"after", ["events"])
            events = await receiver.wait_for(3, timeout=30)
            assert [payload for _, payload in events] == [b"before", b"during", b"after"]  # nothing lost, in order
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            names = sorted(name for (name,) in admin.execute(f"SELECT name FROM {table}").fetchall())
        assert names == ["after", "before"]
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as admin:
            admin.execute(f"DROP TABLE IF EXISTS {table}")
            admin.execute(f"DROP TABLE IF EXISTS {table}_events")
