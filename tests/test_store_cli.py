"""The store outside the app's event loop: Litestar's ``litestar sessions`` commands run it under ``anyio.run``,
in another process, with no lifespan."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.databases import PG_DSN, require_postgres

APP = """
from typing import Any

from litestar import Litestar, Request, get, post
from litestar.middleware.session.server_side import ServerSideSessionConfig
from sqlspec import SQLSpec
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.asyncpg import AsyncpgConfig
from sqlspec.adapters.psqlpy import PsqlpyConfig
from sqlspec.adapters.psycopg import PsycopgAsyncConfig, PsycopgSyncConfig
from sqlspec.adapters.sqlite import SqliteConfig

from litestar_sqlspec import SQLSpecPlugin

KIND = {kind!r}
litestar = {{"default_store": True, "session_table": {table!r}}}
if KIND == "aiosqlite":
    config = AiosqliteConfig(connection_config={{"database": "app.db"}}, extension_config={{"litestar": litestar}})
elif KIND == "sqlite":
    config = SqliteConfig(connection_config={{"database": "app.db"}}, extension_config={{"litestar": litestar}})
elif KIND == "asyncpg":
    config = AsyncpgConfig(connection_config={{"dsn": {dsn!r}}}, extension_config={{"litestar": litestar}})
elif KIND == "psqlpy":
    config = PsqlpyConfig(connection_config={{"dsn": {dsn!r}}}, extension_config={{"litestar": litestar}})
else:
    config_type = PsycopgAsyncConfig if KIND == "psycopg_async" else PsycopgSyncConfig
    config = config_type(connection_config={{"conninfo": {dsn!r}}}, extension_config={{"litestar": litestar}})

spec = SQLSpec()
spec.add_config(config)


@post("/login/{{name:str}}")
async def login(name: str, request: Request[Any, Any, Any]) -> None:
    request.set_session({{"user": name}})


@get("/me")
async def me(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return dict(request.session)


sessions = ServerSideSessionConfig(max_age=3600)
app = Litestar(route_handlers=[login, me], plugins=[SQLSpecPlugin(spec)], middleware=[sessions.middleware])
"""

PROBE = """
import sys

import anyio
from litestar.testing import TestClient

from app import app, config
from litestar_sqlspec import SQLSpecStore

if sys.argv[1] == "log-in":
    for name in ("ada", "bob"):
        with TestClient(app) as client:
            client.post(f"/login/{name}")
            print(client.cookies["session"])
elif sys.argv[1] == "who":
    for cookie in sys.argv[2:]:
        with TestClient(app, cookies={"session": cookie}) as client:
            print(client.get("/me").json().get("user", "-"))
else:
    anyio.run(SQLSpecStore(config).drop_table)
"""


def run(directory: Path, *args: str, answer: str = "") -> str:
    environment = {**os.environ, "PYTHONPATH": str(directory), "LITESTAR_APP": "app:app"}
    done = subprocess.run(
        [sys.executable, *args],
        cwd=directory,
        env=environment,
        input=answer,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("kind", ["aiosqlite", "sqlite", "psycopg_async", "psycopg_sync", "asyncpg", "psqlpy"])
def test_litestar_sessions_commands_work_on_the_sql_store(kind: str, tmp_path: Path) -> None:
    if kind not in ("aiosqlite", "sqlite"):
        require_postgres()
    table = f"cli_sessions_{kind}_{os.getpid()}"
    (tmp_path / "app.py").write_text(textwrap.dedent(APP.format(kind=kind, table=table, dsn=PG_DSN)))
    (tmp_path / "probe.py").write_text(PROBE)
    try:
        ada, bob = run(tmp_path, "probe.py", "log-in").split()
        run(tmp_path, "-m", "litestar", "sessions", "delete", ada, answer="y\n")
        assert run(tmp_path, "probe.py", "who", ada, bob).split() == ["-", "bob"]
        run(tmp_path, "-m", "litestar", "sessions", "clear", answer="y\n")
        assert run(tmp_path, "probe.py", "who", bob) == "-"
    finally:
        run(tmp_path, "probe.py", "drop")
