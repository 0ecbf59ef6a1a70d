"""Sync config kinds: sqlite3 (pooled), psycopg sync (pooled, PostgreSQL), and ADBC SQLite (NoPool)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import SYNC_KINDS, Database, prepared_sync


@pytest.fixture(params=SYNC_KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from prepared_sync(request.param, tmp_path)
