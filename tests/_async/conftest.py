"""Async config kinds: aiosqlite (pooled), psycopg async (pooled, PostgreSQL), and a NoPool async config."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.databases import ASYNC_KINDS, Database, make_database


@pytest.fixture(params=ASYNC_KINDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    database = make_database(request.param, tmp_path)
    database.setup()
    yield database
    for config in database.made:
        await config.close_pool()
    database.teardown()
