"""Async config kinds: aiosqlite (pooled), psycopg async (pooled, PostgreSQL), and a NoPool async config."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.databases import ASYNC_KINDS, Database, prepared_async


@pytest.fixture(params=ASYNC_KINDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async for database in prepared_async(request.param, tmp_path):
        yield database
