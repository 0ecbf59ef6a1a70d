"""The demo app (`make demo`) end to end: migrations through the CLI, then every page and API, on SQLite and (with
``DATABASE_URL``) on PostgreSQL with no code change."""

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from litestar.testing import TestClient

from tests.databases import pg_schema
from tests.servers import litestar_cli

ROOT = Path(__file__).resolve().parent.parent
HTML = {"accept": "text/html"}


def _upgrade(env: dict[str, str]) -> None:
    litestar_cli("demo.app:app", env, "database", "upgrade", "--no-prompt")


def _load_demo(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    for name in ("DEMO_DATABASE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
        if name in env:
            monkeypatch.setenv(name, env[name])
    sys.modules.pop("demo.app", None)
    return importlib.import_module("demo.app")


@pytest.fixture(params=["sqlite", "postgres"])
def demo_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {key: value for key, value in os.environ.items() if key not in ("DEMO_DATABASE", "DATABASE_URL")}
    if request.param == "sqlite":
        yield {**env, "DEMO_DATABASE": str(tmp_path / "demo.db")}
        return
    # its own schema: the demo's tables and migration history stay apart
    with pg_schema("demo") as dsn:
        try:
            yield {**env, "DATABASE_URL": dsn}
        finally:
            sys.modules.pop("demo.app", None)


def test_the_demo_signs_in_lists_filters_chats_and_caches(
    demo_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _upgrade(demo_env)
    demo = _load_demo(monkeypatch, demo_env)
    with TestClient(demo.app) as client:
        page = client.get("/", headers=HTML)
        assert page.status_code == 200
        assert 'id="signin-name"' in page.text
        refused = client.post("/notes", data={"title": "anonymous", "status": "idea"}, headers=HTML)
        assert refused.status_code == 401
        assert "Sign in first." in refused.text
        assert "<!doctype html>" in refused.text  # a readable page, not a traceback

        assert client.post("/signin", data={"name": "ada"}, follow_redirects=False).status_code == 303
        for number, status in enumerate(["idea", "doing", "done", "idea", "doing", "done", "idea"]):
            form = {"title": f"<i>note {number}</i>", "status": status, **({"pinned": "true"} if number % 2 else {})}
            assert client.post("/notes", data=form, follow_redirects=False).status_code == 303

        first = client.get("/api/notes").json()
        assert (first["total"], first["limit"], len(first["items"])) == (7, 5, 5)
        assert first["items"][0]["author"] == "ada"
        ideas = client.get("/api/notes?statusIn=idea&orderBy=title&sortOrder=asc").json()
        assert [note["title"] for note in ideas["items"]] == ["<i>note 0</i>", "<i>note 3</i>", "<i>note 6</i>"]
        pinned = client.get("/api/notes?pinnedBoolean=true&pageSize=50").json()
        assert sorted(note["title"] for note in pinned["items"]) == ["<i>note 1</i>", "<i>note 3</i>", "<i>note 5</i>"]
        assert client.get("/api/notes?searchString=NOTE%204").json()["total"] == 1
        assert client.get("/api/notes?orderBy=password").status_code == 400

        listing = client.get("/?statusIn=idea", headers=HTML).text
        assert "&lt;i&gt;note 0&lt;/i&gt;" in listing  # escaped
        assert "<i>note 0</i>" not in listing
        assert 'Signed in as <b id="user">ada</b>' in listing

        stats = client.get("/stats").json()
        assert (stats["notes"], stats["authors"]) == (7, 1)
        client.post("/signin", data={"name": "grace"})
        client.post("/notes", data={"title": "later", "status": "idea"})
        assert client.get("/stats").json() == stats  # served from the response cache (the SQL store)

        with client.websocket_connect("/ws/chat") as socket:
            assert client.post("/chat", json={"text": "hello"}).status_code == 204
            assert socket.receive_json() == {"user": "grace", "text": "hello"}
        with client.websocket_connect("/ws/chat") as socket:  # history on join
            assert socket.receive_json() == {"user": "grace", "text": "hello"}
        assert client.post("/chat", json={"text": "   "}).status_code == 400

        missing = client.get("/nowhere", headers=HTML)
        assert missing.status_code == 404
        assert "Back to the notes" in missing.text
        cookies = client.cookies

    # a restart (a new app on the same database) keeps the notes and the signed-in session
    demo = _load_demo(monkeypatch, demo_env)
    with TestClient(demo.app, cookies=cookies) as client:
        assert 'Signed in as <b id="user">grace</b>' in client.get("/", headers=HTML).text
        assert client.get("/api/notes").json()["total"] == 8


def test_the_cli_offers_the_database_commands() -> None:
    for group in ("database", "db"):
        result = subprocess.run(
            [sys.executable, "-m", "litestar", "--app", "demo.app:app", group, "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "upgrade" in result.stdout
        assert "create-migration" in result.stdout
