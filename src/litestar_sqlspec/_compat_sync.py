"""The sync flavour's shim: what differs for sync configs, whose calls block.

Every blocking call of a sync driver runs in a worker thread, never on the event loop.
"""

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

__all__ = (
    "Lock",
    "create_blob_sync",
    "execute_sync",
    "read_bytes_sync",
    "run",
    "set_autocommit_sync",
    "sleep",
)

T = TypeVar("T")

Lock = threading.Lock
"""A lock for threads (twin of ``ALock``)."""

sleep = time.sleep
"""Sleep, blocking this thread (twin of ``asleep``)."""


async def run(function: Callable[..., T], /, *args: Any) -> T:
    """Run one database operation of a sync config in a worker thread."""
    return await anyio.to_thread.run_sync(function, *args)


def set_autocommit_sync(connection: Any, enabled: bool) -> bool | None:
    """Switch a psycopg connection's autocommit (no round trip); return the previous mode.

    ``None`` (and nothing changed) for connections without such a switch.
    """
    previous = getattr(connection, "autocommit", None)
    if not isinstance(previous, bool):
        return None
    connection.autocommit = enabled
    return previous


def read_bytes_sync(value: Any) -> bytes:
    """A fetched binary value as bytes: a LOB is read; NULL (how Oracle stores an empty BLOB) is ``b""``."""
    if value is None:
        return b""
    read = getattr(value, "read", None)
    return bytes(read() if read is not None else value)


def create_blob_sync(connection: Any, data: bytes) -> Any:
    """A temporary BLOB holding ``data``, to bind values larger than Oracle's 32 KB RAW limit."""
    import oracledb  # noqa: PLC0415 - only Oracle configs get here

    return connection.createlob(oracledb.DB_TYPE_BLOB, data)


def execute_sync(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    """Run one statement on a raw DB-API connection; return its rows and row count."""
    cursor = connection.cursor()
    try:
        cursor.execute(statement, parameters)
        rows = list(cursor.fetchall()) if cursor.description else []
        return rows, int(cursor.rowcount)
    finally:
        cursor.close()
