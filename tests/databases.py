"""The real databases the suite runs against, one ``Database`` per config kind.

Every kind is a real database: SQLite files, and the PostgreSQL server at 127.0.0.1:5432 (database ``test``).
Rows are read back through a separate raw connection (stdlib sqlite3 or psycopg), never through the app.
"""

import importlib
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
import psycopg
import pytest

__all__ = (
    "ASYNC_KINDS",
    "CHANNEL_KINDS",
    "KINDS",
    "PG_DSN",
    "STORE_KINDS",
    "SYNC_KINDS",
    "Database",
    "close_pool",
    "make_database",
    "open_fds_to",
    "open_pool",
    "require_mariadb",
    "require_postgres",
)


@dataclass(frozen=True)
class Kind:
    """One config kind of the suite: a sqlspec adapter (and flavour) on a real database."""

    name: str
    is_async: bool
    dialect: str
    channels: bool = True
    """Whether ``SQLSpecChannelsBackend`` supports it."""


KINDS = (
    Kind("aiosqlite", True, "sqlite"),
    Kind("psycopg_async", True, "postgres"),
    Kind("nopool_async", True, "sqlite"),
    Kind("asyncpg", True, "postgres"),
    Kind("psqlpy", True, "postgres"),
    Kind("mariadb_async", True, "mysql"),  # asyncmy
    Kind("aiomysql", True, "mysql"),
    Kind("mysqlconnector_async", True, "mysql"),
    Kind("sqlite", False, "sqlite"),
    Kind("psycopg_sync", False, "postgres"),
    Kind("adbc", False, "sqlite"),
    Kind("adbc_postgres", False, "postgres"),
    Kind("duckdb", False, "duckdb"),
    Kind("mariadb_sync", False, "mysql"),  # PyMySQL
    Kind("mysqlconnector_sync", False, "mysql"),
)
"""Every config kind the suite runs: the DI + commit-mode matrix (tests/_async, tests/_sync), the store contract and
the channels contract run on each (``channels`` says where the backend is supported)."""
ASYNC_KINDS = tuple(kind.name for kind in KINDS if kind.is_async)
SYNC_KINDS = tuple(kind.name for kind in KINDS if not kind.is_async)
STORE_KINDS = tuple(kind.name for kind in KINDS)
CHANNEL_KINDS = tuple(kind.name for kind in KINDS if kind.channels)
POOL_SIZE = 5

PG_DSN = os.environ.get("LITESTAR_SQLSPEC_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MARIADB: dict[str, Any] = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": "", "database": "test"}

_unreachable: dict[str, str | None] = {}


def _require(name: str, where: str, connect: Callable[[], Any]) -> None:
    """Skip locally, fail in CI (CI=true), when a database server cannot be reached (checked once per session)."""
    if name not in _unreachable:
        try:
            connect().close()
            _unreachable[name] = None
        except Exception as exc:
            _unreachable[name] = str(exc)
    error = _unreachable[name]
    if error is not None:
        message = f"{name} is unreachable at {where}: {error}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def require_postgres() -> str:
    """Return the DSN; skip locally, fail in CI (CI=true), when PostgreSQL cannot be reached."""
    _require("PostgreSQL", PG_DSN, lambda: psycopg.connect(PG_DSN, connect_timeout=5))
    return PG_DSN


def require_mariadb() -> dict[str, Any]:
    """Return the connection settings; skip locally, fail in CI, when MariaDB cannot be reached."""
    import pymysql

    _require("MariaDB", "127.0.0.1:3306", lambda: pymysql.connect(**MARIADB, connect_timeout=5))
    return MARIADB


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
    application: str = ""
    """PostgreSQL kinds without a pool: the ``application_name`` their connections carry, to count them."""

    def config(self, **litestar: Any) -> Any:
        """A new config of this kind whose ``extension_config["litestar"]`` is ``litestar``."""
        config = self.factory({"litestar": litestar})
        self.made.append(config)
        return config

    @property
    def pooled(self) -> bool:
        return self.kind not in ("adbc", "adbc_postgres", "nopool_async")

    def insert_sql(self) -> str:
        return f"INSERT INTO {self.table} (name) VALUES (:name)"

    def _raw(self) -> Any:
        if self.dialect == "sqlite":
            assert self.sqlite_path is not None
            return sqlite3.connect(self.sqlite_path)
        if self.dialect == "mysql":
            import pymysql

            return pymysql.connect(**MARIADB, autocommit=True)
        if self.dialect == "duckdb":
            import duckdb

            assert self.sqlite_path is not None  # the database file
            return duckdb.connect(str(self.sqlite_path))
        return psycopg.connect(PG_DSN, autocommit=True)

    def _query(self, sql: str) -> list[Any]:
        """Run ``sql`` through a separate raw connection (committed); its rows, if any."""
        connection = self._raw()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            rows = list(cursor.fetchall()) if cursor.description else []
            cursor.close()
            connection.commit()
        finally:
            connection.close()
        return rows

    def execute(self, sql: str) -> None:
        self._query(sql)

    def scalar(self, sql: str) -> Any:
        """The first value of ``sql``'s first row, read through a separate connection."""
        return self._query(sql)[0][0]

    def names(self) -> list[str]:
        """The names committed to the table, read through a separate connection."""
        return [row[0] for row in self._query(f"SELECT name FROM {self.table} ORDER BY name")]

    def drop_channels_table(self, table: str) -> None:
        """Drop a channels table and what it needs besides itself (MySQL's lock table, DuckDB's id sequence)."""
        self.execute(f"DROP TABLE IF EXISTS {table}")
        if self.dialect == "mysql":
            self.execute(f"DROP TABLE IF EXISTS {table}_lock")
        elif self.dialect == "duckdb":
            self.execute(f"DROP SEQUENCE IF EXISTS {table}_id_seq")

    def setup(self) -> None:
        self.execute(f"CREATE TABLE {self.table} (name TEXT NOT NULL)")

    def teardown(self) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self.table}")

    def checked_out(self, plugin: Any, config: Any) -> int:
        """Connections of ``config`` currently out of its pool (or open, for configs without a pool)."""
        if not self.pooled:
            if self.kind == "adbc_postgres":
                query = f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{self.application}'"
                return int(self.scalar(query))
            assert self.sqlite_path is not None
            return -(-open_fds_to(self.sqlite_path) // self.fds_per_connection)  # a half-opened one counts
        checkout = plugin._runtime_for(config).checkout_pool  # SqliteConfig: the plugin's exclusive checkout pool
        if checkout is not None:
            return int(checkout.checked_out)
        pool = config.connection_instance
        if pool is None:
            return 0
        return _checked_out_of(pool)


def _checked_out_of(pool: Any) -> int:
    """How many connections ``pool`` has handed out, read from the pool's own bookkeeping."""
    if hasattr(pool, "get_stats"):  # psycopg_pool
        stats = pool.get_stats()
        return int(stats["pool_size"] - stats["pool_available"])
    if hasattr(pool, "get_idle_size"):  # asyncpg
        return int(pool.get_size() - pool.get_idle_size())
    if hasattr(pool, "status") and hasattr(pool, "resize"):  # psqlpy
        status = pool.status()
        return int(status.size - status.available)
    if hasattr(pool, "freesize"):  # asyncmy, aiomysql
        return int(pool.size - pool.freesize)
    if hasattr(pool, "_cnx_queue"):  # mysql-connector: its connections are made up front, the idle ones queued
        return int(pool.pool_size - pool._cnx_queue.qsize())
    return int(pool.checked_out())  # aiosqlite, PyMySQL, DuckDB (sqlspec's own pools)


def _wait_when_busy(connection: Any) -> None:
    # ADBC's SQLite driver sets no busy timeout: concurrent writers would fail at once with "database is locked".
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 30000")


def make_database(kind: str, tmp_path: Path) -> Database:
    """A ``Database`` of config kind ``kind`` (SQLite kinds in ``tmp_path``)."""
    from sqlspec.adapters.adbc import AdbcConfig
    from sqlspec.adapters.aiosqlite import AiosqliteConfig
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
    if kind == "duckdb":
        from sqlspec.adapters.duckdb import DuckDBConfig

        duck = tmp_path / "app.duckdb"
        return Database(
            kind,
            "duckdb",
            lambda ext: DuckDBConfig(connection_config={"database": str(duck)}, extension_config=ext),
            sqlite_path=duck,
        )
    if kind in _MYSQL_KINDS:
        settings = {**require_mariadb(), **_MYSQL_KINDS[kind][1]}
        mysql_type = _MYSQL_KINDS[kind][0]()
        return Database(kind, "mysql", lambda ext: mysql_type(connection_config=settings, extension_config=ext))
    dsn = require_postgres()
    if kind == "adbc_postgres":
        application = f"adbc_{uuid.uuid4().hex[:10]}"
        uri = f"{dsn}?application_name={application}"
        return Database(
            kind,
            "postgres",
            lambda ext: AdbcConfig(connection_config={"uri": uri}, extension_config=ext),
            application=application,
        )
    config_type, pool = _POSTGRES_KINDS[kind]
    return Database(kind, "postgres", lambda ext: config_type()(connection_config=pool(dsn), extension_config=ext))


def _config_class(adapter: str, name: str) -> Callable[[], Any]:
    """sqlspec's config class ``name`` of ``sqlspec.adapters.<adapter>``, imported when a test first needs it."""
    return lambda: getattr(importlib.import_module(f"sqlspec.adapters.{adapter}"), name)


_MYSQL_KINDS: dict[str, tuple[Callable[[], Any], dict[str, Any]]] = {
    "mariadb_async": (_config_class("asyncmy", "AsyncmyConfig"), {"minsize": 1, "maxsize": POOL_SIZE}),
    "aiomysql": (_config_class("aiomysql", "AiomysqlConfig"), {"minsize": 1, "maxsize": POOL_SIZE}),
    "mariadb_sync": (_config_class("pymysql", "PyMysqlConfig"), {}),
    # mysql-connector's TLS negotiation with this MariaDB fails: plain TCP on the loopback
    "mysqlconnector_async": (
        _config_class("mysqlconnector", "MysqlConnectorAsyncConfig"),
        {"pool_size": POOL_SIZE, "ssl_disabled": True},
    ),
    "mysqlconnector_sync": (
        _config_class("mysqlconnector", "MysqlConnectorSyncConfig"),
        {"pool_size": POOL_SIZE, "ssl_disabled": True},
    ),
}
_POSTGRES_KINDS: dict[str, tuple[Callable[[], Any], Callable[[str], dict[str, Any]]]] = {
    "psycopg_async": (
        _config_class("psycopg", "PsycopgAsyncConfig"),
        lambda dsn: {"conninfo": dsn, "min_size": POOL_SIZE, "max_size": POOL_SIZE},
    ),
    "psycopg_sync": (
        _config_class("psycopg", "PsycopgSyncConfig"),
        lambda dsn: {"conninfo": dsn, "min_size": POOL_SIZE, "max_size": POOL_SIZE},
    ),
    "asyncpg": (
        _config_class("asyncpg", "AsyncpgConfig"),
        lambda dsn: {"dsn": dsn, "min_size": 1, "max_size": POOL_SIZE},
    ),
    "psqlpy": (_config_class("psqlpy", "PsqlpyConfig"), lambda dsn: {"dsn": dsn, "max_db_pool_size": POOL_SIZE}),
}


async def prepared_async(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A fixture body: an async ``kind``'s database with its ``items`` table; pools closed, table dropped after."""
    database = make_database(kind, tmp_path)
    database.setup()
    yield database
    for config in database.made:
        await config.close_pool()
    database.teardown()


def prepared_sync(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A fixture body: a sync ``kind``'s database with its ``items`` table; pools closed, table dropped after."""
    database = make_database(kind, tmp_path)
    database.setup()
    yield database
    for config in database.made:
        config.close_pool()
    database.teardown()


async def open_pool(config: Any) -> None:
    """Open ``config``'s pool from async code, whatever its flavour, as the plugin's lifespan does.

    A store used with no pool open opens one per operation (and closes it): fine for a CLI command, slow for a suite.
    """
    from litestar_sqlspec._async import open_pool_async
    from litestar_sqlspec._sync import open_pool_sync

    if config.is_async:
        await open_pool_async(config)
    else:
        await anyio.to_thread.run_sync(open_pool_sync, config)


async def close_pool(config: Any) -> None:
    """Close ``config``'s pool from async code, whatever its flavour (a sync one in a worker thread)."""
    if config.is_async:
        await config.close_pool()
    else:
        await anyio.to_thread.run_sync(config.close_pool)


def tagged_psycopg_config(kind: str, application: str, **pool: Any) -> Any:
    """A psycopg config (``psycopg_async`` or ``psycopg_sync``) whose connections carry ``application`` as their
    ``application_name``, so that a test can find (and kill) exactly them; ``pool`` and ``extension_config`` go in."""
    from sqlspec.adapters.psycopg import PsycopgAsyncConfig, PsycopgSyncConfig

    extension = pool.pop("extension_config", None)
    config_type: Any = PsycopgAsyncConfig if kind == "psycopg_async" else PsycopgSyncConfig
    conninfo = f"{require_postgres()}?application_name={application}"
    return config_type(connection_config={"conninfo": conninfo, **pool}, extension_config=extension)


def kill_backends(application: str) -> int:
    """Terminate every server backend of ``application`` (see ``tagged_psycopg_config``); how many."""
    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            (application,),
        ).fetchone()
    assert row is not None
    return int(row[0])


@contextmanager
def pg_schema(prefix: str) -> Iterator[str]:
    """A DSN whose ``search_path`` is a new schema of its own (dropped afterwards): tables made there stay apart."""
    server = require_postgres()
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{server}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")
