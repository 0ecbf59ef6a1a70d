"""The README's usage example runs as written."""

import os
import re
import sqlite3
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.channel_helpers import wait_until_delivered

README = Path(__file__).resolve().parent.parent / "README.md"
STORE_DOCS = README.parent / "docs" / "store.md"
CHANNELS_DOCS = README.parent / "docs" / "channels.md"
TRANSACTIONS_DOCS = README.parent / "docs" / "transactions.md"
SYNC_ASYNC_DOCS = README.parent / "docs" / "sync-async.md"


def run_example(document: Path, heading: str, name: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Run the first python block after ``heading`` in ``document`` as module ``name``, in the current directory."""
    example = re.search(rf"{re.escape(heading)}.*?```python\n(.*?)```", document.read_text(), re.DOTALL)
    assert example is not None
    module = types.ModuleType(name)  # Litestar resolves handler annotations through the module
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(example.group(1), str(document), "exec"), module.__dict__)
    return module


def test_the_usage_example_commits_on_success(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with sqlite3.connect("app.db") as connection:
        connection.execute("CREATE TABLE note (text TEXT NOT NULL)")
    module = run_example(README, "## Use\n", "readme_example", monkeypatch)
    with TestClient(module.app) as client:
        assert client.post("/notes", json={"text": "hello"}).status_code == 201
        assert client.post("/notes", json={}).status_code == 500  # KeyError: rolled back
    with sqlite3.connect(tmp_path / "app.db") as connection:
        assert connection.execute("SELECT text FROM note").fetchall() == [("hello",)]
    assert os.getcwd() == str(tmp_path)


def test_the_store_docs_example_keeps_sessions_in_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = run_example(STORE_DOCS, "# The SQL store", "store_docs_example", monkeypatch)

    from litestar import Request, get

    @get("/visits")
    async def visits(request: Request[Any, Any, Any]) -> int:
        count = int(request.session.get("visits", 0)) + 1
        request.set_session({"visits": count})
        return count

    module.app.register(visits)
    with TestClient(module.app) as client:
        assert [client.get("/visits").json() for _ in range(3)] == [1, 2, 3]
    with sqlite3.connect(tmp_path / "app.db") as connection:
        namespaces = connection.execute("SELECT DISTINCT ns FROM litestar_session").fetchall()
    assert namespaces == [("litestar/sessions",)]


def test_the_channels_docs_example_streams_published_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = run_example(CHANNELS_DOCS, "# The SQL channels backend", "channels_docs_example", monkeypatch)
    with TestClient(module.app) as client:
        assert client.post("/chat", json={"text": "before"}).status_code == 201
        wait_until_delivered(client.blocking_portal, module.channels._backend)
        with client.websocket_connect("/chat") as socket:
            assert socket.receive_text(timeout=5) == "before"  # history
            assert client.post("/chat", json={"text": "live"}).status_code == 201
            assert socket.receive_text(timeout=5) == "live"


def test_a_deferred_constraint_failing_at_commit_is_a_409_and_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    module = run_example(TRANSACTIONS_DOCS, "### A commit that fails", "transactions_commit_example", monkeypatch)
    with sqlite3.connect(tmp_path / "books.db") as connection:
        connection.execute("INSERT INTO author (id) VALUES (1)")
    with TestClient(module.app) as client:
        response = client.post("/books/42")
        assert (response.status_code, response.json()) == (409, {"status_code": 409, "detail": "Conflict"})
        assert client.post("/books/1").status_code == 201  # the pool is healthy afterwards
    with sqlite3.connect(tmp_path / "books.db") as connection:
        assert connection.execute("SELECT author_id FROM book").fetchall() == [(1,)]


def test_a_guard_and_the_handler_share_the_requests_connection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with sqlite3.connect("app.db") as connection:
        connection.execute("CREATE TABLE app_user (name TEXT PRIMARY KEY, visits INTEGER NOT NULL DEFAULT 0)")
        connection.execute("INSERT INTO app_user (name) VALUES ('ada')")
    module = run_example(TRANSACTIONS_DOCS, "## On-demand access", "transactions_guard_example", monkeypatch)
    with TestClient(module.app) as client:
        assert client.post("/visits", headers={"x-user": "ada"}).status_code == 201
        assert client.post("/visits", headers={"x-user": "eve"}).status_code == 401
        assert module.db.connection_instance.checked_out() == 0
    with sqlite3.connect(tmp_path / "app.db") as connection:
        assert connection.execute("SELECT visits FROM app_user").fetchall() == [(1,)]


def test_the_mixing_example_serves_an_async_and_a_sync_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    module = run_example(SYNC_ASYNC_DOCS, "## Mixing configs in one app", "sync_async_mixing_example", monkeypatch)
    with TestClient(module.app) as client:
        assert client.get("/app").json() == 1
        assert client.get("/reports").json() == 2
