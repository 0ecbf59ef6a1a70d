"""Concurrent publishers on several backends, one per config as worker processes have: no subscriber misses a row.

MySQL/MariaDB hand out AUTO_INCREMENT ids as rows are inserted and DuckDB's sequence as its statement runs, not as
they commit: without the publishers' lock (a row lock held to commit on MySQL, a lock of the one process on DuckDB), a
reader that has seen id N would miss N-1 committed just after. Every subscriber must receive every message exactly
once, each publisher's in the order it published them.
"""

import uuid
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import pytest

from tests.channel_helpers import Receiver, receiving_on
from tests.databases import make_database

KINDS = (
    "mariadb_async",
    "aiomysql",
    "mariadb_sync",
    "mysqlconnector_async",
    "mysqlconnector_sync",
    "duckdb",
    "psycopg_async",
    "asyncpg",
    "psqlpy",
    "sqlite",
)


@pytest.mark.parametrize("kind", KINDS)
async def test_concurrent_publishers_on_two_backends_reach_every_subscriber_once_in_order(
    kind: str, tmp_path: Path
) -> None:
    database = make_database(kind, tmp_path)
    table = f"channels_{uuid.uuid4().hex[:10]}"
    workers, tasks, each = 2, 8, 25
    async with AsyncExitStack() as stack:
        backends, receivers = [], []
        for _ in range(workers + 1):  # every worker publishes and subscribes; one more only subscribes
            backend, receiver = await stack.enter_async_context(receiving_on(database.config(channels_table=table)))
            await backend.subscribe(["race"])
            backends.append(backend)
            receivers.append(receiver)

        async def publish(worker: int, task: int) -> None:
            for index in range(each):
                await backends[worker].publish(f"{worker}:{task}:{index}".encode(), ["race"])

        with anyio.fail_after(60):
            async with anyio.create_task_group() as publishing:
                for worker in range(workers):
                    for task in range(tasks):
                        publishing.start_soon(publish, worker, task)
        total = workers * tasks * each
        with anyio.move_on_after(30):  # one deadline for all: a missed row never arrives
            while min(len(receiver.events) for receiver in receivers) < total:
                await anyio.sleep(0.01)
        await anyio.sleep(0.3)  # and nothing more arrives
        for receiver in receivers:
            check_every_message_once_in_order(receiver, workers, tasks, each)


def check_every_message_once_in_order(receiver: Receiver, workers: int, tasks: int, each: int) -> None:
    payloads = [payload.decode() for _, payload in receiver.events]
    duplicates = [payload for payload, seen in Counter(payloads).items() if seen > 1]
    assert not duplicates, f"delivered more than once: {duplicates[:5]}"
    expected = {
        f"{worker}:{task}:{index}" for worker in range(workers) for task in range(tasks) for index in range(each)
    }
    missing = expected - set(payloads)
    assert not missing, f"{len(missing)} message(s) never delivered, such as {sorted(missing)[:5]}"
    assert len(payloads) == len(expected)
    for worker in range(workers):
        for task in range(tasks):
            mine = [payload for payload in payloads if payload.startswith(f"{worker}:{task}:")]
            assert mine == [f"{worker}:{task}:{index}" for index in range(each)]
