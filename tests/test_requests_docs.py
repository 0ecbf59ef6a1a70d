"""The example of docs/requests.md runs as written."""

import sqlite3
from pathlib import Path

import pytest
from litestar.testing import TestClient

from tests.test_readme import run_example

REQUESTS_DOCS = Path(__file__).resolve().parent.parent / "docs" / "requests.md"


def test_the_filtered_paged_list_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with sqlite3.connect("app.db") as connection:
        connection.execute("CREATE TABLE book (id INTEGER PRIMARY KEY, title TEXT, year INTEGER)")
        connection.executemany(
            "INSERT INTO book (title, year) VALUES (?, ?)",
            [(f"Dune {number}" if number % 2 else f"Other {number}", 1960 + number) for number in range(24)],
        )
    module = run_example(REQUESTS_DOCS, "## A filtered, paged list", "requests_docs_example", monkeypatch)
    with TestClient(module.app) as client:
        page = client.get("/books?searchString=dune&orderBy=year&sortOrder=asc&pageSize=5&currentPage=2").json()
        assert (page["limit"], page["offset"], page["total"]) == (5, 5, 12)
        assert [book["year"] for book in page["items"]] == [1971, 1973, 1975, 1977, 1979]
        assert client.get("/books?yearIn=1961&yearIn=1962").json()["total"] == 2
        assert client.get("/books?orderBy=secret").status_code == 400
        names = {
            parameter["name"]
            for parameter in client.get("/schema/openapi.json").json()["paths"]["/books"]["get"]["parameters"]
        }
        assert {"currentPage", "pageSize", "searchString", "orderBy", "sortOrder", "yearIn"} <= names
