"""The README's usage example runs as written."""

import os
import re
import sqlite3
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_usage_example_commits_on_success(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = re.search(r"## Use\n\n```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert example is not None
    monkeypatch.chdir(tmp_path)
    with sqlite3.connect("app.db") as connection:
        connection.execute("CREATE TABLE note (text TEXT NOT NULL)")
    module = types.ModuleType("readme_example")  # Litestar resolves handler annotations through the module
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(example.group(1), str(README), "exec"), module.__dict__)
    with TestClient(module.app) as client:
        assert client.post("/notes", json={"text": "hello"}).status_code == 201
        assert client.post("/notes", json={}).status_code == 500  # KeyError: rolled back
    with sqlite3.connect(tmp_path / "app.db") as connection:
        assert connection.execute("SELECT text FROM note").fetchall() == [("hello",)]
    assert os.getcwd() == str(tmp_path)


STORE_DOCS = README.parent / "docs" / "store.md"


def test_the_store_docs_example_keeps_sessions_in_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = re.search(r"```python\n(.*?)```", STORE_DOCS.read_text(), re.DOTALL)
    assert example is not None
    monkeypatch.chdir(tmp_path)
    module = types.ModuleType("store_docs_example")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(example.group(1), str(STORE_DOCS), "exec"), module.__dict__)

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


CHANNELS_DOCS = README.parent / "docs" / "channels.md"


def test_the_channels_docs_example_streams_published_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = re.search(r"```python\n(.*?)```", CHANNELS_DOCS.read_text(), re.DOTALL)
    assert example is not None
    monkeypatch.chdir(tmp_path)
    module = types.ModuleType("channels_docs_example")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(example.group(1), str(CHANNELS_DOCS), "exec"), module.__dict__)
    with TestClient(module.app) as client:
        assert client.post("/chat", json={"text": "before"}).status_code == 201
        backend = module.channels._backend
        newest = client.blocking_portal.call(backend._run, backend._ops.max_id)
        while (backend._cursor or 0) < newest:  # delivered before the websocket joins (else: live and history)
            time.sleep(0.01)
        with client.websocket_connect("/chat") as socket:
            assert socket.receive_text(timeout=5) == "before"  # history
            assert client.post("/chat", json={"text": "live"}).status_code == 201
            assert socket.receive_text(timeout=5) == "live"
