"""Whether a DB-API connection has a transaction open, read from the driver's client-side state (no round trip).

Ending a transaction that was never opened costs a round trip (or a thread hop) for nothing; a read-only request
on SQLite opens none. Unknown connection kinds report ``None`` and are always ended explicitly.
"""

from typing import Any

__all__ = ("has_open_transaction",)

_PSYCOPG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE


def has_open_transaction(connection: Any) -> bool | None:
    """``True``/``False`` when the driver tells without I/O (sqlite3, aiosqlite, psycopg, oracledb), else ``None``."""
    in_transaction = getattr(connection, "in_transaction", None)  # sqlite3 and aiosqlite
    if isinstance(in_transaction, bool):
        return in_transaction
    in_progress = getattr(connection, "transaction_in_progress", None)  # oracledb
    if isinstance(in_progress, bool):
        return in_progress
    info = getattr(connection, "info", None)  # psycopg: libpq's view of the session
    status = getattr(info, "transaction_status", None)
    if status is not None:
        return int(status) != _PSYCOPG_IDLE
    return None
