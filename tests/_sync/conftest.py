"""Sync config kinds: sqlite3 (pooled), psycopg sync (pooled, PostgreSQL), and ADBC SQLite (NoPool)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import SYNC_KINDS, Database, make_database


@pytest.fixture(params=SYNC_KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = make_database(request.param, tmp_path)
    database.setup()
    yield database
    for config in database.made:
        config.close_pool()
    database.teardown()
