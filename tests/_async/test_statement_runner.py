"""The statement runner under the store and the channels: one transaction per call, every connection given back clean.

On psycopg it checks connections out with the pool's own calls and keeps one cursor per connection; these tests hold
it to what the config's context manager guaranteed: a failed call writes nothing, and the connection it used serves
the next call as if nothing had happened (no rollback left to the pool, no stale cursor).
"""

import logging

import pytest

from litestar_sqlspec._async import close_pool_async, open_pool_async
from litestar_sqlspec._async.statements import AsyncStatementRunner
from tests.databases import POOL_SIZE, Database


async def test_a_failed_transaction_writes_nothing_and_leaves_its_connection_clean(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    config = db.config()
    await open_pool_async(config)
    runner = AsyncStatementRunner(config)
    insert = f"INSERT INTO {db.table} (name) VALUES (:name)"
    missing = f"INSERT INTO {db.table}_missing (name) VALUES (:name)"
    try:
        with caplog.at_level(logging.WARNING):
            # every connection of the pool sees a failed transaction, then serves a good one
            for attempt in range(2 * POOL_SIZE):
                with pytest.raises(Exception, match="_missing"):
                    await runner.rows(insert, missing, parameters={"name": f"lost-{attempt}"})
                await runner.rows(insert, parameters={"name": f"kept-{attempt}"})
    finally:
        await close_pool_async(config)
    assert db.names() == sorted(f"kept-{attempt}" for attempt in range(2 * POOL_SIZE))
    # psycopg_pool warns when it has to roll back; INFO lines of the pool's opening (mysql-connector) do not count
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert warnings == []


async def test_a_failed_statement_does_not_spoil_the_next_on_its_connection(db: Database) -> None:
    config = db.config()
    await open_pool_async(config)
    runner = AsyncStatementRunner(config)
    try:
        for attempt in range(2 * POOL_SIZE):
            with pytest.raises(Exception, match="_missing"):
                await runner.rows(f"SELECT name FROM {db.table}_missing")
            rows, _ = await runner.rows("SELECT CAST(:attempt AS INTEGER)", parameters={"attempt": attempt})
            assert [tuple(row) for row in rows] == [(attempt,)]
    finally:
        await close_pool_async(config)
