"""What a statement's text tells about it, for drivers whose calls differ by it."""

import re
from functools import lru_cache

__all__ = ("ends_transaction", "is_transaction_control", "returns_rows")

_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES|SHOW|TABLE|PRAGMA)\b|\bRETURNING\b", re.IGNORECASE)
_TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b",
    re.IGNORECASE,
)
_ENDS_TRANSACTION = re.compile(
    r"^\s*(COMMIT|END|ABORT|ROLLBACK(?!\s+(WORK\s+|TRANSACTION\s+)?TO\b))\b|^\s*PREPARE\s+TRANSACTION\b", re.IGNORECASE
)


@lru_cache(maxsize=1024)
def returns_rows(statement: str) -> bool:
    """Whether ``statement`` produces a result set (SELECT, WITH, VALUES, or a write with RETURNING)."""
    return _RETURNS_ROWS.search(statement) is not None


@lru_cache(maxsize=256)
def is_transaction_control(statement: str) -> bool:
    """Whether ``statement`` begins, ends or marks a transaction itself (BEGIN, COMMIT, SAVEPOINT, …)."""
    return _TRANSACTION_CONTROL.match(statement) is not None


@lru_cache(maxsize=256)
def ends_transaction(statement: str) -> bool:
    """Whether ``statement`` ends the transaction (COMMIT, ROLLBACK without TO, …)."""
    return _ENDS_TRANSACTION.match(statement) is not None
