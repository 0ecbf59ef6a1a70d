"""The store table's operations: one statement each, on a connection of the config's own pool.

Keys arrive hashed and namespaces validated; values are bound, never formatted.
"""

from collections.abc import Callable, Sequence
from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig

from litestar_sqlspec._async.statements import AsyncStatementRunner
from litestar_sqlspec._compat_async import read_bytes_async
from litestar_sqlspec.dialects import StoreBatchSQL, StoreStatements

__all__ = ("AsyncStoreOps",)

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


def _arrays(items: Sequence[tuple[Any, ...]], *names: str) -> dict[str, list[Any]]:
    """Parameters binding the first ``len(names)`` fields of ``items`` as one array each, in item order."""
    return {name: [item[position] for item in items] for position, name in enumerate(names)}


def _in_item_order(items: Sequence[tuple[Any, ...]], rows: list[Any], answer: Callable[[Any], Any]) -> list[Any]:
    """Per item ``(namespace, key, ...)``, ``answer(row)`` of the row starting with its ``(ns, store_key)``, or None.

    A batch's rows come back in no particular order, and only for the items found.
    """
    found = {(row[0], bytes(row[1])): answer(row) for row in rows}
    return [found.get((item[0], item[1])) for item in items]


class AsyncStoreOps:
    """Runs the store statements of one table on one config."""

    __slots__ = ("_runner", "config", "sql")

    def __init__(self, config: AsyncAnyConfig, sql: StoreStatements) -> None:
        self.config = config
        self.sql = sql
        self._runner = AsyncStatementRunner(config, large_value_bytes=sql.facts.large_value_bytes)

    async def set(self, namespace: str, key: bytes, value: bytes, expires_at: float | None) -> None:
        """Insert or replace the value and expiry of ``key``."""
        parameters = {"ns": namespace, "key": key, "value": value, "expires_at": expires_at}
        await self._runner.rows(self.sql.upsert, parameters=parameters, large_value="value")

    async def get(self, namespace: str, key: bytes, now: float) -> bytes | None:
        """The value of ``key`` unless it is missing or expired."""
        rows, _ = await self._runner.rows(self.sql.select_value, parameters={"ns": namespace, "key": key, "now": now})
        return await read_bytes_async(rows[0][0]) if rows else None

    async def get_and_renew(self, namespace: str, key: bytes, now: float, expires_at: float) -> bytes | None:
        """Like ``get``, and in the same statement move a set expiry to ``expires_at``."""
        parameters = {"ns": namespace, "key": key, "now": now, "expires_at": expires_at}
        rows, _ = await self._runner.rows(*self.sql.get_and_renew, parameters=parameters)
        return await read_bytes_async(rows[0][0]) if rows else None

    async def expiry(self, namespace: str, key: bytes, now: float) -> tuple[bool, float | None] | None:
        """``None`` when missing or expired, else ``(has_no_expiry, expires_at)``."""
        rows, _ = await self._runner.rows(self.sql.select_expiry, parameters={"ns": namespace, "key": key, "now": now})
        if not rows:
            return None
        forever, expires_at = rows[0][0], rows[0][1]
        return bool(forever), None if expires_at is None else float(expires_at)

    async def delete(self, namespace: str, key: bytes) -> None:
        """Delete ``key`` (nothing happens when it is missing)."""
        await self._runner.rows(self.sql.delete, parameters={"ns": namespace, "key": key})

    # Many concurrent operations of one kind at once, results in item order: reads as one statement (dialects with
    # ``sql.batch``), writes as one statement or one ``executemany`` (every dialect).

    async def get_many(self, items: list[tuple[str, bytes, float]]) -> list[bytes | None]:
        """``get`` of every ``(namespace, key, now)``."""
        rows, _ = await self._runner.rows(self._batch().select_values, parameters=_arrays(items, "nss", "keys", "nows"))
        return _in_item_order(items, rows, lambda row: bytes(row[2]))

    async def get_and_renew_many(self, items: list[tuple[str, bytes, float, float]]) -> list[bytes | None]:
        """``get_and_renew`` of every ``(namespace, key, now, expires_at)``."""
        parameters = _arrays(items, "nss", "keys", "nows", "expires")
        rows, _ = await self._runner.rows(self._batch().renew, parameters=parameters)
        return _in_item_order(items, rows, lambda row: bytes(row[2]))

    async def expiry_many(self, items: list[tuple[str, bytes, float]]) -> list[tuple[bool, float | None] | None]:
        """``expiry`` of every ``(namespace, key, now)``."""
        parameters = _arrays(items, "nss", "keys", "nows")
        rows, _ = await self._runner.rows(self._batch().select_expiries, parameters=parameters)
        return _in_item_order(items, rows, lambda row: (bool(row[2]), None if row[3] is None else float(row[3])))

    async def set_many(self, items: list[tuple[str, bytes, bytes, float | None]]) -> list[None]:
        """``set`` of every ``(namespace, key, value, expires_at)``; of one key set twice, the later call wins.

        One statement where the dialect takes arrays, else the driver's ``executemany``; one transaction either way.
        Rows are written in key order, so that concurrent batches lock them in one order.
        """
        latest = {(item[0], item[1]): item for item in items}
        rows = [latest[key] for key in sorted(latest)]
        batch = self.sql.batch
        if batch is not None:
            await self._runner.rows(batch.upsert, parameters=_arrays(rows, "nss", "keys", "values", "expires"))
        else:
            steps = [
                (self.sql.upsert, {"ns": ns, "key": key, "value": value, "expires_at": expires_at})
                for ns, key, value, expires_at in rows
            ]
            await self._runner.steps(steps, large_value="value")
        return [None] * len(items)

    async def delete_many(self, items: list[tuple[str, bytes]]) -> list[None]:
        """``delete`` of every ``(namespace, key)``, in one statement or one ``executemany``."""
        rows = sorted(set(items))
        batch = self.sql.batch
        if batch is not None:
            await self._runner.rows(batch.delete, parameters=_arrays(rows, "nss", "keys"))
        else:
            await self._runner.steps([(self.sql.delete, {"ns": ns, "key": key}) for ns, key in rows])
        return [None] * len(items)

    def _batch(self) -> StoreBatchSQL:
        batch = self.sql.batch
        if batch is None:
            msg = f"the {self.sql.facts.name} store statements run one operation at a time"
            raise NotImplementedError(msg)
        return batch

    async def delete_namespace(self, namespace: str, separator: str) -> None:
        """Delete every key of ``namespace`` and of its descendants, nothing else."""
        prefix = namespace + separator
        parameters = {
            "ns": namespace,
            "prefix": prefix,
            "prefix_length": len(prefix),
            "prefix_bytes": len(prefix.encode("utf-8", "surrogatepass")),  # where the column holds bytes (MySQL)
        }
        await self._runner.rows(self.sql.delete_namespace, parameters=parameters)

    async def delete_expired(self, now: float) -> int:
        """Delete the expired rows of the whole table; return how many."""
        if self._runner.reports_rowcount:
            _, deleted = await self._runner.rows(self.sql.delete_expired, parameters={"now": now})
            return deleted
        # drivers without a row count (ADBC, psqlpy) count the rows the statement returns
        rows, _ = await self._runner.rows(self.sql.delete_expired + " RETURNING 1", parameters={"now": now})
        return len(rows)

    async def table_exists(self) -> bool:
        """Whether the table exists."""
        rows, _ = await self._runner.rows(self.sql.table_exists, parameters={"table": self.sql.table})
        return bool(rows and rows[0][0])

    async def create_table(self) -> None:
        """Create the table and its expiry index if they do not exist."""
        await self._runner.rows(*self.sql.create_table)

    async def drop_table(self) -> None:
        """Drop the table if it exists."""
        await self._runner.rows(self.sql.drop_table)
