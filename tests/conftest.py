import pytest


@pytest.fixture
def anyio_backend() -> str:
    # sqlspec's async adapters (aiosqlite, psycopg) run on asyncio only.
    return "asyncio"
