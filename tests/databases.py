"""The real databases the suite runs against, one ``Database`` per config kind.

Every kind is a real database: SQLite files, and the PostgreSQL server at 127.0.0.1:5432 (database ``test``).
Rows are read back through a separate raw connection (stdlib sqlite3 or psycopg), never through the app.
"""

import os
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import psycopg
import pytest

__all__ = (
    "ASYNC_KINDS",
    "PG_DSN",
    "SYNC_KINDS",
    "Database",
    "close_pool",
    "make_database",
    "open_fds_to",
    "open_pool",
    "require_postgres",
)

ASYNC_KINDS = ("aiosqlite", "psycopg_async", "nopool_async")
SYNC_KINDS = ("sqlite", "psycopg_sync", "adbc")
POOL_SIZE = 5

PG_DSN = os.environ.get("LITESTAR_SQLSPEC_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")

_pg_error: str | None = None
_pg_checked = False


def require_postgres() -> str:
    """Return the DSN; skip locally, fail in CI (CI=true), when PostgreSQL cannot be reached."""
    global _pg_checked, _pg_error  # noqa: PLW0603 - checked once per test session
    if not _pg_checked:
        _pg_checked = True
        try:
            psycopg.connect(PG_DSN, connect_timeout=5).close()
        except psycopg.Error as exc:
            _pg_error = str(exc)
    if _pg_error is not None:
        message = f"PostgreSQL is unreachable at {PG_DSN}: {_pg_error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return PG_DSN


def open_fds_to(path: Path) -> int:
    """How many file descriptors of this process point at ``path`` (one per open SQLite connection)."""
    target = str(path.resolve())
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if os.readlink(fd) == target:
                count += 1
        except OSError:
            continue
    return count


@dataclass
class Database:
    """One config kind on one real database, with a fresh ``items`` table of its own."""

    kind: str
    dialect: str
    factory: Callable[[dict[str, Any]], Any]
    sqlite_path: Path | None = None
    fds_per_connection: int = 1
    """Unpooled kinds are counted by the file descriptors open on the database (ADBC's SQLite driver opens two)."""
    table: str = field(default_factory=lambda: f"items_{uuid.uuid4().hex[:10]}")
    made: list[Any] = field(default_factory=list)

    def config(self, **litestar: Any) -> Any:
        """A new config of this kind whose ``extension_config["litestar"]`` is ``litestar``."""
        config = self.factory({"litestar": litestar})
        self.made.append(config)
        return config

    @property
    def pooled(self) -> bool:
        return self.kind not in ("adbc", "nopool_async")

    def insert_sql(self) -> str:
        return f"INSERT INTO {self.table} (name) VALUES (:name)"

    def _raw(self) -> Any:
        if self.dialect == "sqlite":
            assert self.sqlite_path is not None
            return sqlite3.connect(self.sqlite_path)
        return psycopg.connect(PG_DSN, autocommit=True)

    def execute(self, sql: str) -> None:
        connection = self._raw()
        try:
            connection.execute(sql)
            connection.commit()
        finally:
            connection.close()

    def names(self) -> list[str]:
        """The names committed to the table, read through a separate connection."""
        connection = self._raw()
        try:
            rows = connection.execute(f"SELECT name FROM {self.table} ORDER BY name").fetchall()
        finally:
            connection.close()
        return [row[0] for row in rows]

    def setup(self) -> None:
        self.execute(f"CREATE TABLE {self.table} (name TEXT NOT NULL)")

    def teardown(self) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.table}")

    def checked_out(self, plugin: Any, config: Any) -> int:
        """Connections of ``config`` currently out of its pool (or open, for configs without a pool)."""
        if not self.pooled:
            assert self.sqlite_path is not None
            return -(-open_fds_to(self.sqlite_path) // self.fds_per_connection)  # a half-opened one counts
        checkout = plugin._runtime_for(config).checkout_pool  # SqliteConfig: the plugin's exclusive checkout pool
        if checkout is not None:
            return int(checkout.checked_out)
        pool = config.connection_instance
        if pool is None:
            return 0
        if hasattr(pool, "get_stats"):  # psycopg_pool
            stats = pool.get_stats()
            return int(stats["pool_size"] - stats["pool_available"])
        return int(pool.checked_out())  # aiosqlite


def _wait_when_busy(connection: Any) -> None:
    # ADBC's SQLite driver sets no busy timeout: concurrent writers would fail at once with "database is locked".
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 30000")


def make_database(kind: str, tmp_path: Path) -> Database:
    """A ``Database`` of config kind ``kind`` (SQLite kinds in ``tmp_path``)."""
    from sqlspec.adapters.adbc import AdbcConfig
    from sqlspec.adapters.aiosqlite import AiosqliteConfig
    from sqlspec.adapters.psycopg import PsycopgAsyncConfig, PsycopgSyncConfig
    from sqlspec.adapters.sqlite import SqliteConfig

    from tests.nopool import AiosqliteNoPoolConfig

    path = tmp_path / "app.db"
    sqlite_kinds: dict[str, tuple[Callable[[dict[str, Any]], Any], int]] = {
        "aiosqlite": (
            lambda ext: AiosqliteConfig(
                connection_config={"database": str(path), "pool_size": POOL_SIZE}, extension_config=ext
            ),
            1,
        ),
        "nopool_async": (lambda ext: AiosqliteNoPoolConfig(database=str(path), extension_config=ext), 1),
        "sqlite": (lambda ext: SqliteConfig(connection_config={"database": str(path)}, extension_config=ext), 1),
        "adbc": (
            lambda ext: AdbcConfig(
                connection_config={"driver_name": "adbc_driver_sqlite", "uri": str(path)},
                driver_features={"on_connection_create": _wait_when_busy},
                extension_config=ext,
            ),
            2,
        ),
    }
    if kind in sqlite_kinds:
        factory, fds = sqlite_kinds[kind]
        return Database(kind, "sqlite", factory, sqlite_path=path, fds_per_connection=fds)
    dsn = require_postgres()
    pool = {"conninfo": dsn, "min_size": POOL_SIZE, "max_size": POOL_SIZE}
    config_type = PsycopgAsyncConfig if kind == "psycopg_async" else PsycopgSyncConfig
    return Database(kind, "postgres", lambda ext: config_type(connection_config=pool, extension_config=ext))


async def open_pool(config: Any) -> None:
    """Open ``config``'s pool from async code, whatever its flavour, as an app's lifespan would.

    A store used with no pool open opens one per operation (and closes it): fine for a CLI command, slow for a suite.
    """
    if config.is_async:
        await config.create_pool()
    else:
        await anyio.to_thread.run_sync(config.create_pool)


async def close_pool(config: Any) -> None:
    """Close ``config``'s pool from async code, whatever its flavour (a sync one in a worker thread)."""
    if config.is_async:
        await config.close_pool()
    else:
        await anyio.to_thread.run_sync(config.close_pool)
