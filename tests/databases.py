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

import psycopg
import pytest

__all__ = ("PG_DSN", "Database", "open_fds_to", "require_postgres")

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
