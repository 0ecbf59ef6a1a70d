"""``litestar database …`` on real apps: migrations of the project and of this package's tables, strict exits."""

import re
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner, Result
from litestar.cli.main import litestar_group
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import SQLSpecChannelsBackend, SQLSpecStore
from tests.databases import MARIADB, PG_DSN, Database, make_database

CONFIG = {
    "aiosqlite": ("sqlspec.adapters.aiosqlite", "AiosqliteConfig", "{'database': %(path)r}"),
    "sqlite": ("sqlspec.adapters.sqlite", "SqliteConfig", "{'database': %(path)r}"),
    "adbc": ("sqlspec.adapters.adbc", "AdbcConfig", "{'driver_name': 'adbc_driver_sqlite', 'uri': %(path)r}"),
    "psycopg_async": ("sqlspec.adapters.psycopg", "PsycopgAsyncConfig", "{'conninfo': %(dsn)r}"),
    "psycopg_sync": ("sqlspec.adapters.psycopg", "PsycopgSyncConfig", "{'conninfo': %(dsn)r}"),
    "mariadb_async": ("sqlspec.adapters.asyncmy", "AsyncmyConfig", repr(MARIADB)),
    "mariadb_sync": ("sqlspec.adapters.pymysql", "PyMysqlConfig", repr(MARIADB)),
    "duckdb": ("sqlspec.adapters.duckdb", "DuckDBConfig", "{'database': %(path)r}"),
    "asyncpg": ("sqlspec.adapters.asyncpg", "AsyncpgConfig", "{'dsn': %(dsn)r}"),
    "psqlpy": ("sqlspec.adapters.psqlpy", "PsqlpyConfig", "{'dsn': %(dsn)r}"),
    "adbc_postgres": ("sqlspec.adapters.adbc", "AdbcConfig", "{'uri': %(dsn)r}"),
    "aiomysql": ("sqlspec.adapters.aiomysql", "AiomysqlConfig", repr(MARIADB)),
    "mysqlconnector_async": (
        "sqlspec.adapters.mysqlconnector",
        "MysqlConnectorAsyncConfig",
        repr({**MARIADB, "ssl_disabled": True}),
    ),
    "mysqlconnector_sync": ("sqlspec.adapters.mysqlconnector", "MysqlConnectorSyncConfig", repr(MARIADB)),
}


class Project:
    """A directory holding an app module, and the real ``litestar`` CLI pointed at it."""

    def __init__(self, directory: Path, source: str) -> None:
        self.directory = directory
        self.module = f"app_{uuid.uuid4().hex[:8]}"
        (directory / f"{self.module}.py").write_text(textwrap.dedent(source))

    def run(self, *args: str, expect: int = 0) -> Result:
        result = CliRunner().invoke(litestar_group, ["--app", f"{self.module}:app", *args])
        assert result.exit_code == expect, result.output + repr(result.exception)
        return result

    def output(self, *args: str, expect: int = 0) -> str:
        """The command's output as one line of words (rich wraps and boxes it)."""
        return " ".join(re.sub(r"[│╭╮╰╯─]", " ", self.run(*args, expect=expect).output).split())


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [name for name in sys.modules if name.startswith("app_")]:
        del sys.modules[name]


def app_source(kind: str, database: Database, *, tables: tuple[str, str], configs: int = 1) -> str:
    module, name, settings = CONFIG[kind]
    connection = settings % {"path": str(database.sqlite_path), "dsn": PG_DSN}
    lines = [
        "from litestar import Litestar",
        "from sqlspec import SQLSpec",
        f"from {module} import {name}",
        "from litestar_sqlspec import SQLSpecPlugin",
        "spec = SQLSpec()",
        "def wait_when_busy(connection):  # ADBC's SQLite driver waits for no lock by default",
        "    with connection.cursor() as cursor:",
        "        cursor.execute('PRAGMA busy_timeout = 30000')",
    ]
    features = ", driver_features={'on_connection_create': wait_when_busy}" if kind == "adbc" else ""
    for index in range(configs):
        suffix = "" if index == 0 else str(index)
        litestar = {"session_table": tables[0] + suffix, "channels_table": tables[1] + suffix, "create_schema": False}
        if index:
            litestar |= {"connection_key": f"c{index}", "session_key": f"s{index}", "pool_key": f"p{index}"}
        migrations = {
            "script_location": f"migrations{suffix}",
            "include_extensions": ["litestar"],
            "version_table_name": f"ddl_migrations{suffix}",  # both configs reach one database here
        }
        lines.append(
            f"config{suffix} = spec.add_config({name}(connection_config={connection}, bind_key='db{index}', "
            f"migration_config={migrations!r}, extension_config={{'litestar': {litestar!r}}}{features}))"
        )
    lines.append("app = Litestar(plugins=[SQLSpecPlugin(spec)])")
    return "\n".join(lines) + "\n"


# sqlspec's migration commands read DuckDB results as Arrow through DB-API, which DuckDB 2 warns about
ARROW_WARNING = pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")


# aiomysql turns the server's notes ("Table ... already exists" of sqlspec's own IF NOT EXISTS DDL) into warnings
SERVER_NOTES = pytest.mark.filterwarnings("ignore::pymysql.err.Warning")
MARKS = {"duckdb": ARROW_WARNING, "aiomysql": SERVER_NOTES}


@pytest.mark.parametrize("kind", [pytest.param(kind, marks=MARKS[kind]) if kind in MARKS else kind for kind in CONFIG])
def test_the_migration_cycle_creates_this_packages_tables_and_the_projects(kind: str, in_tmp: Path) -> None:
    database = make_database(kind, in_tmp)
    suffix = uuid.uuid4().hex[:6]
    tables = (f"cli_sessions_{suffix}", f"cli_channels_{suffix}")
    project = Project(in_tmp, app_source(kind, database, tables=tables))
    try:
        project.run("database", "init", "--no-prompt")
        created = project.run("database", "create-migration", "-m", "notes", "--no-prompt")
        assert "Created migration" in created.output
        migration = next((in_tmp / "migrations").glob("*_notes.sql"))
        version = migration.name.split("_", 1)[0]
        write_migration(migration, version, f"notes_{suffix}", "body TEXT")
        project.run("database", "upgrade", "--no-prompt")
        assert "Current version: " in project.run("database", "show-current-revision").output
        database.execute(f"INSERT INTO notes_{suffix} (body) VALUES ('kept')")
        use_the_tables(database, tables)
        project.run("database", "downgrade", "base", "--no-prompt")
        assert "No migrations applied" in project.run("database", "show-current-revision").output
        gone = database.config(session_table=tables[0], create_schema=False)
        with pytest.raises(ImproperConfigurationError, match="does not exist"):
            anyio.run(SQLSpecStore(gone).get, "k")
        project.run("database", "upgrade", "--no-prompt")
        project.run("db", "show-current-revision")  # the alias
    finally:
        for table in (f"notes_{suffix}", tables[0], "ddl_migrations"):
            database.execute(f"DROP TABLE IF EXISTS {table}")
        database.drop_channels_table(tables[1])


def use_the_tables(database: Database, tables: tuple[str, str]) -> None:
    """The store and the channels backend work on the tables the migrations created (create_schema is off)."""
    config = database.config(session_table=tables[0], channels_table=tables[1], create_schema=False)

    async def use() -> None:
        store = SQLSpecStore(config)
        await store.set("k", b"v", expires_in=60)
        assert await store.get("k") == b"v"
        backend = SQLSpecChannelsBackend(config, history=1)
        await backend.on_startup()
        try:
            await backend.publish(b"m", ["c"])
            assert await backend.get_history("c") == [b"m"]
        finally:
            await backend.on_shutdown()

    anyio.run(use)


def write_migration(path: Path, version: str, table: str, columns: str) -> None:
    """A SQL migration ``version`` at ``path`` that creates ``table`` (and drops it on downgrade)."""
    path.write_text(
        f"-- name: migrate-{version}-up\nCREATE TABLE {table} ({columns});\n"
        f"-- name: migrate-{version}-down\nDROP TABLE {table};\n"
    )


def store_tables(database: Database, tables: tuple[str, str]) -> list[bool]:
    """Whether each config's store table exists (its store refuses to create it)."""
    found = []
    for table in (tables[0], tables[0] + "1"):
        config = database.config(session_table=table, create_schema=False)
        try:
            anyio.run(SQLSpecStore(config).get, "absent")
        except ImproperConfigurationError:
            found.append(False)
        else:
            found.append(True)
    return found


@pytest.mark.parametrize("kind", ["sqlite", "psycopg_async"])
def test_several_configs_need_a_bind_key_for_one_config_commands(kind: str, in_tmp: Path) -> None:
    database = make_database(kind, in_tmp)
    suffix = uuid.uuid4().hex[:6]
    tables = (f"cli_sessions_{suffix}", f"cli_channels_{suffix}")
    project = Project(in_tmp, app_source(kind, database, tables=tables, configs=2))
    try:
        project.run("database", "init", "--no-prompt")  # every config
        refused = project.output("database", "create-migration", "-m", "x", "--no-prompt", expect=2)
        assert "choose it with --bind-key (bind keys: 'db0', 'db1')" in refused
        project.run("database", "create-migration", "-m", "x", "--no-prompt", "--bind-key", "db1")
        created = next((in_tmp / "migrations1").glob("*_x.sql"))
        assert not list((in_tmp / "migrations").glob("*_x.sql"))
        version = created.name.split("_", 1)[0]
        write_migration(created, version, f"x_{suffix}", "x INT")
        unknown = project.output("database", "upgrade", "--no-prompt", "--bind-key", "nope", expect=1)
        assert "No config found for bind key: nope" in unknown
        dry = project.output("database", "upgrade", "--dry-run", "--no-prompt")
        assert "Dry run: Would upgrade to head 2 configuration(s)" in dry
        project.run("database", "upgrade", "--no-prompt", "--include", "db1")
        assert store_tables(database, tables) == [False, True]
        project.run("database", "upgrade", "--no-prompt")  # every config with migrations
        assert store_tables(database, tables) == [True, True]
        assert project.output("database", "show-current-revision").count("Current version: ") == 2
        project.run("database", "downgrade", "base", "--no-prompt", "--bind-key", "db0")
        assert store_tables(database, tables) == [False, True]
        project.run("database", "downgrade", "base", "--no-prompt")
        assert store_tables(database, tables) == [False, False]
    finally:
        for table in (*tables, *(table + "1" for table in tables), f"x_{suffix}", "ddl_migrations", "ddl_migrations1"):
            database.execute(f"DROP TABLE IF EXISTS {table}")


def test_failures_exit_non_zero_with_the_reason(in_tmp: Path) -> None:
    database = make_database("sqlite", in_tmp)
    project = Project(in_tmp, app_source("sqlite", database, tables=("s", "c")))
    project.run("database", "init", "--no-prompt")
    write_migration(in_tmp / "migrations" / "0001_broken.sql", "0001", "broken", "(")
    failed = project.output("database", "upgrade", "--no-prompt", expect=1)
    assert "upgrade failed: Migration 0001 failed" in failed
    (in_tmp / "migrations" / "0001_broken.sql").write_text("not a migration\n")
    malformed = project.output("database", "upgrade", "--no-prompt", expect=1)
    assert "upgrade failed: MigrationLoadError" in malformed
    without_plugin = Project(in_tmp, "from litestar import Litestar\napp = Litestar()\n")
    missing = without_plugin.output("database", "upgrade", "--no-prompt", expect=1)
    assert "The app has no litestar_sqlspec.SQLSpecPlugin" in missing


SESSIONS_APP = """
from litestar import Litestar
from litestar.middleware.session.server_side import ServerSideSessionConfig
from sqlspec import SQLSpec
from {module} import {name}
from litestar_sqlspec import SQLSpecPlugin

spec = SQLSpec()
config = spec.add_config({name}(connection_config={connection}, extension_config={{"litestar": {litestar!r}}}))
app = Litestar(plugins=[SQLSpecPlugin(spec)], middleware=[ServerSideSessionConfig().middleware])
"""


@pytest.mark.parametrize("kind", ["sqlite", "psycopg_async"])
def test_sessions_delete_expired_and_channels_prune(kind: str, in_tmp: Path) -> None:
    database = make_database(kind, in_tmp)
    module, name, settings = CONFIG[kind]
    suffix = uuid.uuid4().hex[:6]
    litestar = {"default_store": True, "session_table": f"s_{suffix}", "channels_table": f"c_{suffix}"}
    connection = settings % {"path": str(database.sqlite_path), "dsn": PG_DSN}
    project = Project(in_tmp, SESSIONS_APP.format(module=module, name=name, connection=connection, litestar=litestar))
    config = database.config(**litestar)

    async def fill() -> None:
        store = SQLSpecStore(config).with_namespace("sessions")
        for index in range(3):
            await store.set(f"expired{index}", b"x", expires_in=-1)
        await store.set("alive", b"y", expires_in=3600)
        await store.set("forever", b"z")
        backend = SQLSpecChannelsBackend(config)
        await backend.on_startup()
        for index in range(4):
            await backend.publish(f"m{index}".encode(), ["a", "b"])
        await backend.on_shutdown()

    try:
        anyio.run(fill)
        assert project.output("sessions", "delete-expired", "--verbose") == (
            f"s_{suffix} ({name}): 3 expired row(s) deleted"
        )
        assert project.output("sessions", "delete-expired") == "0 expired session(s) deleted"
        assert project.output("database", "channels", "prune", "--retention", "0", "--history", "1") == (
            f"c_{suffix}: 6 message(s) deleted"
        )

        async def left() -> tuple[list[Any], list[bytes]]:
            store = SQLSpecStore(config).with_namespace("sessions")
            backend = SQLSpecChannelsBackend(config, history=10)
            return [await store.get(key) for key in ("alive", "forever")], await backend.get_history("a")

        assert anyio.run(left) == ([b"y", b"z"], [b"m3"])
    finally:
        for table in litestar.values():
            if isinstance(table, str):
                database.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.mark.parametrize("kind", ["sqlite", "psycopg_async"])
def test_fix_squash_stamp_and_show_config(kind: str, in_tmp: Path) -> None:
    database = make_database(kind, in_tmp)
    suffix = uuid.uuid4().hex[:6]
    tables = (f"s_{suffix}", f"c_{suffix}")
    project = Project(in_tmp, app_source(kind, database, tables=tables))
    try:
        check_fix_squash_stamp_and_show_config(project, database, in_tmp, suffix)
    finally:
        for table in (*tables, f"a_{suffix}", f"b_{suffix}", "ddl_migrations"):
            database.execute(f"DROP TABLE IF EXISTS {table}")


def check_fix_squash_stamp_and_show_config(project: Project, database: Database, in_tmp: Path, suffix: str) -> None:
    project.run("database", "init", "--no-prompt")
    project.run("database", "make-migrations", "-m", "first", "--no-prompt")  # the alias
    stamped = next((in_tmp / "migrations").glob("*_first.sql"))
    version = stamped.name.split("_", 1)[0]
    write_migration(stamped, version, f"a_{suffix}", "x INT")
    assert "Renamed" in project.output("database", "fix", "--yes")
    assert (in_tmp / "migrations" / "0001_first.sql").exists()
    write_migration(in_tmp / "migrations" / "0002_second.sql", "0002", f"b_{suffix}", "x INT")
    project.run("database", "squash", "0001-0002", "-m", "both", "--yes", "--no-database")
    assert [path.name for path in sorted((in_tmp / "migrations").glob("0*.sql"))] == ["0001_both.sql"]
    project.run("database", "upgrade", "--no-prompt")
    database.execute(f"INSERT INTO a_{suffix} (x) VALUES (1)")  # both tables exist
    database.execute(f"INSERT INTO b_{suffix} (x) VALUES (2)")
    project.run("database", "stamp", "ext_litestar_0001")
    assert "Current version: ext_litestar_0001" in project.output("database", "show-current-revision")
    assert "Found 1 configuration(s) with migrations enabled" in project.output("database", "show-config")
