"""Statements on plain DB-API connections (PEP 249), sync and async (aiomysql/asyncmy/mysql-connector's aio API).

The fallback of every entry: a cursor per statement, rows fetched when the statement describes a result.
"""

import inspect
from typing import Any

__all__ = (
    "commit_async",
    "commit_sync",
    "execute_async",
    "execute_sync",
    "executemany_async",
    "executemany_sync",
    "rollback_async",
    "rollback_sync",
)


def execute_sync(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    """Run one statement on a cursor of its own; return its rows and row count."""
    cursor = connection.cursor()
    try:
        cursor.execute(statement, parameters)
        rows = list(cursor.fetchall()) if cursor.description else []
        return rows, int(cursor.rowcount)
    finally:
        cursor.close()


def executemany_sync(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    """Run one statement once per parameter set (no rows come back)."""
    cursor = connection.cursor()
    try:
        cursor.executemany(statement, parameter_sets)
    finally:
        cursor.close()


def commit_sync(connection: Any) -> None:
    """Commit the connection's transaction."""
    connection.commit()


def rollback_sync(connection: Any) -> None:
    """Roll the connection's transaction back."""
    connection.rollback()


async def _cursor_of(connection: Any) -> Any:
    cursor = connection.cursor()  # a coroutine on some drivers (asyncmy's aio, mysql-connector's aio)
    return await cursor if inspect.isawaitable(cursor) else cursor


async def _close(cursor: Any) -> None:
    closed = cursor.close()
    if inspect.isawaitable(closed):
        await closed


async def execute_async(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    """Run one statement on a cursor of its own; return its rows and row count."""
    cursor = await _cursor_of(connection)
    try:
        await cursor.execute(statement, parameters)
        rows = list(await cursor.fetchall()) if cursor.description else []
        return rows, int(cursor.rowcount)
    finally:
        await _close(cursor)


async def executemany_async(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    """Run one statement once per parameter set (no rows come back)."""
    cursor = await _cursor_of(connection)
    try:
        await cursor.executemany(statement, parameter_sets)
    finally:
        await _close(cursor)


async def commit_async(connection: Any) -> None:
    """Commit the connection's transaction."""
    await connection.commit()


async def rollback_async(connection: Any) -> None:
    """Roll the connection's transaction back."""
    await connection.rollback()
