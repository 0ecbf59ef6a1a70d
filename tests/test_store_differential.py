"""Random operation sequences give the same observable results on SQLSpecStore and Litestar's MemoryStore.

Where Litestar's built-in stores are lax (``exists`` and ``expires_in`` on an expired but not yet purged key), the
SQL store follows the stricter rule of this project: an expired key does not exist. The comparison accounts for it.
"""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.stores.memory import MemoryStore

from litestar_sqlspec import SQLSpecStore
from tests.databases import close_pool, make_database, open_pool

KEYS = st.sampled_from(["a", "ключ\x00"])  # few keys, so that operations meet; odd keys are tested elsewhere
EXPIRIES = st.sampled_from([None, 0, 1, 2.5, 5, -1, timedelta(seconds=3)])
RENEWALS = st.sampled_from([None, 0, 2, timedelta(seconds=4)])
VALUES = st.binary(max_size=64) | st.text(max_size=16)

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), KEYS, VALUES, EXPIRIES),
        st.tuples(st.just("get"), KEYS, RENEWALS),
        st.tuples(st.just("delete"), KEYS),
        st.tuples(st.just("exists"), KEYS),
        st.tuples(st.just("expires_in"), KEYS),
        st.tuples(st.just("wait"), st.sampled_from([0.5, 1, 2, 4])),
        st.tuples(st.just("delete_all")),
    ),
    min_size=1,
    max_size=25,
)


async def replay(store: SQLSpecStore, operations: list[tuple[Any, ...]]) -> None:
    memory = MemoryStore()
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False) as clock:
        for operation in operations:
            name, *args = operation
            if name == "wait":
                clock.shift(args[0])
                continue
            if name in ("exists", "expires_in"):
                # MemoryStore keeps an expired key until the next get; SQLSpecStore treats it as gone.
                alive = await memory.get(args[0]) is not None
                ours = await getattr(store, name)(*args)
                theirs = await getattr(memory, name)(*args) if alive else (False if name == "exists" else None)
            else:
                ours = await getattr(store, name)(*args)
                theirs = await getattr(memory, name)(*args)
            assert ours == theirs, f"{operation} -> {ours!r}, MemoryStore -> {theirs!r}"


@pytest.mark.parametrize("kind", ["aiosqlite", "sqlite", "psycopg_async", "mariadb_async", "duckdb"])
def test_sql_store_matches_memory_store(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    config = database.config(session_table=f"diff_{uuid.uuid4().hex[:10]}")
    store = SQLSpecStore(config, namespace="diff")

    async def run(operations: list[tuple[Any, ...]]) -> None:
        await store.delete_all()
        await replay(store, operations)

    async def close() -> None:
        await store.drop_table()
        await close_pool(config)

    # One event loop for every example: an async config's pool belongs to the loop that created it.
    with start_blocking_portal() as portal:

        @settings(
            max_examples=200,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(operations=OPERATIONS)
        def check(operations: list[tuple[Any, ...]]) -> None:
            portal.call(run, operations)

        portal.call(open_pool, config)
        try:
            check()
        finally:
            portal.call(close)
