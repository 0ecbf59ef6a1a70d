"""Oracle (python-oracledb, sync and async).

DB-API; transactions open with the first DML and ``transaction_in_progress`` says so. Values above 32 KB are bound as
temporary LOBs. Not run against a server here (none can run on this machine).
"""

from typing import Any

from litestar_sqlspec._drivers.dbapi import (
    commit_async,
    commit_sync,
    execute_async,
    execute_sync,
    executemany_async,
    executemany_sync,
    rollback_async,
    rollback_sync,
)
from litestar_sqlspec._drivers.facts import DriverFacts

__all__ = ("ORACLE_ASYNC", "ORACLE_SYNC")


def _in_transaction(connection: Any) -> bool | None:
    in_progress = getattr(connection, "transaction_in_progress", None)
    return in_progress if isinstance(in_progress, bool) else None


def _create_lob_sync(connection: Any, data: bytes) -> Any:
    import oracledb  # noqa: PLC0415 - only Oracle configs get here

    return connection.createlob(oracledb.DB_TYPE_BLOB, data)


async def _create_lob_async(connection: Any, data: bytes) -> Any:
    import oracledb  # noqa: PLC0415 - only Oracle configs get here

    return await connection.createlob(oracledb.DB_TYPE_BLOB, data)


ORACLE_SYNC = DriverFacts(
    adapter="oracledb",
    is_async=False,
    execute=execute_sync,
    executemany=executemany_sync,
    commit=commit_sync,
    rollback=rollback_sync,
    in_transaction=_in_transaction,
    create_lob=_create_lob_sync,
)
ORACLE_ASYNC = DriverFacts(
    adapter="oracledb",
    is_async=True,
    execute=execute_async,
    executemany=executemany_async,
    commit=commit_async,
    rollback=rollback_async,
    in_transaction=_in_transaction,
    create_lob=_create_lob_async,
)
