"""The store table's operations: one statement each, on a connection of the config's own pool.

Each operation leases a connection (the same lease as a request's), runs its statement(s), commits when the driver
has a transaction open, and gives the connection back. Keys arrive hashed and namespaces validated; values are bound,
never formatted.
"""

import re
from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig

from litestar_sqlspec._async.lease import AsyncConnectionLease
from litestar_sqlspec._compat_async import create_blob_async, read_bytes_async, set_autocommit_async
from litestar_sqlspec.dialects import StoreStatements

__all__ = ("AsyncStoreOps",)

_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


class AsyncStoreOps:
    """Runs the store statements of one table on one config."""

    __slots__ = ("config", "sql")

    def __init__(self, config: AsyncAnyConfig, sql: StoreStatements) -> None:
        self.config = config
        self.sql = sql

    async def _rows(
        self, *statements: str, parameters: dict[str, Any] | None = None, large_value: str | None = None
    ) -> tuple[list[Any], int]:
        lease = AsyncConnectionLease(self.config, self.config.provide_connection)
        await lease.acquire()
        # One statement, one round trip: no BEGIN/COMMIT around it where the driver can switch to autocommit.
        previous = await set_autocommit_async(lease.connection, True) if len(statements) == 1 else None
        bound = dict(parameters or {})
        try:
            threshold = self.sql.large_value_bytes
            if large_value is not None and threshold is not None and len(bound[large_value]) > threshold:
                bound[large_value] = await create_blob_async(lease.connection, bound[large_value])
            for statement in statements:
                result = await lease.driver().execute(statement, _used_by(statement, bound))
        except BaseException:
            await self._give_back(lease, previous, commit=False)
            raise
        await self._give_back(lease, previous, commit=True)
        # drivers return rows as tuples or as dicts (ADBC); columns keep their order either way
        rows = [tuple(row.values()) if isinstance(row, dict) else tuple(row) for row in result.data or ()]
        return rows, int(result.rows_affected or 0)

    @staticmethod
    async def _give_back(lease: AsyncConnectionLease, previous: bool | None, commit: bool) -> None:
        try:
            if previous is not None:
                await set_autocommit_async(lease.connection, previous)
        finally:
            await lease.finish(commit)

    async def set(self, namespace: str, key: bytes, value: bytes, expires_at: float | None) -> None:
        """Insert or replace the value and expiry of ``key``."""
        parameters = {"ns": namespace, "key": key, "value": value, "expires_at": expires_at}
        await self._rows(self.sql.upsert, parameters=parameters, large_value="value")

    async def get(self, namespace: str, key: bytes, now: float) -> bytes | None:
        """The value of ``key`` unless it is missing or expired."""
        rows, _ = await self._rows(self.sql.select_value, parameters={"ns": namespace, "key": key, "now": now})
        return await read_bytes_async(rows[0][0]) if rows else None

    async def get_and_renew(self, namespace: str, key: bytes, now: float, expires_at: float) -> bytes | None:
        """Like ``get``, and in the same statement move a set expiry to ``expires_at``."""
        parameters = {"ns": namespace, "key": key, "now": now, "expires_at": expires_at}
        rows, _ = await self._rows(*self.sql.get_and_renew, parameters=parameters)
        return await read_bytes_async(rows[0][0]) if rows else None

    async def expiry(self, namespace: str, key: bytes, now: float) -> tuple[bool, float | None] | None:
        """``None`` when missing or expired, else ``(has_no_expiry, expires_at)``."""
        rows, _ = await self._rows(self.sql.select_expiry, parameters={"ns": namespace, "key": key, "now": now})
        if not rows:
            return None
        forever, expires_at = rows[0][0], rows[0][1]
        return bool(forever), None if expires_at is None else float(expires_at)

    async def delete(self, namespace: str, key: bytes) -> None:
        """Delete ``key`` (nothing happens when it is missing)."""
        await self._rows(self.sql.delete, parameters={"ns": namespace, "key": key})

    async def delete_namespace(self, namespace: str, separator: str) -> None:
        """Delete every key of ``namespace`` and of its descendants, nothing else."""
        prefix = namespace + separator
        await self._rows(
            self.sql.delete_namespace, parameters={"ns": namespace, "prefix": prefix, "prefix_length": len(prefix)}
        )

    async def delete_expired(self, now: float) -> int:
        """Delete the expired rows of the whole table; return how many."""
        if self.config.supports_reliable_rowcount:
            _, deleted = await self._rows(self.sql.delete_expired, parameters={"now": now})
            return deleted
        # drivers without a row count (ADBC) count the rows the statement returns
        rows, _ = await self._rows(self.sql.delete_expired + " RETURNING 1", parameters={"now": now})
        return len(rows)

    async def table_exists(self) -> bool:
        """Whether the table exists."""
        rows, _ = await self._rows(self.sql.table_exists, parameters={"table": self.sql.table})
        return bool(rows and rows[0][0])

    async def create_table(self) -> None:
        """Create the table and its expiry index if they do not exist."""
        await self._rows(*self.sql.create_table)

    async def drop_table(self) -> None:
        """Drop the table if it exists."""
        await self._rows(self.sql.drop_table)


def _used_by(statement: str, parameters: dict[str, Any]) -> dict[str, Any]:
    # Some drivers (oracledb) reject a named parameter that the statement does not use.
    names = set(_PLACEHOLDER.findall(statement))
    return {name: value for name, value in parameters.items() if name in names}
