"""Sync config kinds: sqlite3 (pooled), psycopg sync (pooled, PostgreSQL), and ADBC SQLite (NoPool)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlspec.adapters.adbc import AdbcConfig
from sqlspec.adapters.psycopg import PsycopgSyncConfig
from sqlspec.adapters.sqlite import SqliteConfig

from tests.databases import Database, require_postgres

POOL_SIZE = 5


def _wait_when_busy(connection: Any) -> None:
    # ADBC's SQLite driver sets no busy timeout: concurrent writers would fail at once with "database is locked".
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 30000")


def _database(kind: str, tmp_path: Path) -> Database:
    path = tmp_path / "app.db"
    if kind == "sqlite":
        return Database(
            kind,
            "sqlite",
            lambda ext: SqliteConfig(connection_config={"database": str(path)}, extension_config=ext),
            sqlite_path=path,
        )
    if kind == "adbc":
        return Database(
            kind,
            "sqlite",
            lambda ext: AdbcConfig(
                connection_config={"driver_name": "adbc_driver_sqlite", "uri": str(path)},
                driver_features={"on_connection_create": _wait_when_busy},
                extension_config=ext,
            ),
            sqlite_path=path,
            fds_per_connection=2,
        )
    dsn = require_postgres()
    return Database(
        kind,
        "postgres",
        lambda ext: PsycopgSyncConfig(
            connection_config={"conninfo": dsn, "min_size": POOL_SIZE, "max_size": POOL_SIZE}, extension_config=ext
        ),
    )


@pytest.fixture(params=["sqlite", "psycopg_sync", "adbc"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = _database(request.param, tmp_path)
    database.setup()
    yield database
    for config in database.made:
        config.close_pool()
    database.teardown()
