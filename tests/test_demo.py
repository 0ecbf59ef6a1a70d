"""The demo app (`make demo`) works end to end on its embedded SQLite file."""

import importlib
import sys
from pathlib import Path

import pytest
from litestar.testing import TestClient


def test_demo_stores_and_lists_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_DATABASE", str(tmp_path / "demo.db"))
    sys.modules.pop("demo.app", None)
    demo = importlib.import_module("demo.app")
    with TestClient(demo.app) as client:
        assert client.post("/notes", data={"text": "<b>first</b>"}, follow_redirects=False).status_code == 303
        assert client.get("/api/notes").json() == [{"id": 1, "text": "<b>first</b>"}]
        page = client.get("/")
        assert page.status_code == 200
        assert "&lt;b&gt;first&lt;/b&gt;" in page.text
    # the notes survive a restart of the app
    with TestClient(demo.app) as client:
        assert [note["text"] for note in client.get("/api/notes").json()] == ["<b>first</b>"]
    sys.modules.pop("demo.app", None)


def test_the_cli_offers_the_database_commands() -> None:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    for group in ("database", "db"):
        result = subprocess.run(
            [sys.executable, "-m", "litestar", "--app", "demo.app:app", group, "--help"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "upgrade" in result.stdout
        assert "create-migration" in result.stdout
