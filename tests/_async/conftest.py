"""Async config kinds: aiosqlite (pooled), psycopg async (pooled, PostgreSQL), and a NoPool async config."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.psycopg import PsycopgAsyncConfig

from tests.databases import Database, require_postgres
from tests.nopool import AiosqliteNoPoolConfig

POOL_SIZE = 5


def _database(kind: str, tmp_path: Path) -> Database:
    path = tmp_path / "app.db"
    if kind == "aiosqlite":
        return Database(
            kind,
            "sqlite",
            lambda ext: AiosqliteConfig(
                connection_config={"database": str(path), "pool_size": POOL_SIZE}, extension_config=ext
            ),
            sqlite_path=path,
        )
    if kind == "nopool_async":
        return Database(
            kind, "sqlite", lambda ext: AiosqliteNoPoolConfig(database=str(path), extension_config=ext), path
        )
    dsn = require_postgres()
    return Database(
        kind,
        "postgres",
        lambda ext: PsycopgAsyncConfig(
            connection_config={"conninfo": dsn, "min_size": POOL_SIZE, "max_size": POOL_SIZE}, extension_config=ext
        ),
    )


@pytest.fixture(params=["aiosqlite", "psycopg_async", "nopool_async"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    database = _database(request.param, tmp_path)
    database.setup()
    yield database
    for config in database.made:
        await config.close_pool()
    database.teardown()
