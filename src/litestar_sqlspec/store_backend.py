"""What the stores of one table share.

Their operations, the threads a sync config runs them in, the pool they use (``standalone_pool.PoolUse``), the
batching of concurrent operations (``coalescing``), and the creation of a missing table.
"""

from collections.abc import Awaitable
from functools import partial
from typing import Any

import anyio
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import _compat_async, _compat_sync
from litestar_sqlspec._async.store_ops import AsyncStoreOps
from litestar_sqlspec._sync.store_ops import SyncStoreOps
from litestar_sqlspec.coalescing import Coalescer
from litestar_sqlspec.dialects import StoreStatements
from litestar_sqlspec.pool_facts import worker_threads
from litestar_sqlspec.schema import create_table_racing
from litestar_sqlspec.settings import config_label
from litestar_sqlspec.standalone_pool import PoolUse

__all__ = ("StoreBackend",)

# operation -> the operation running many of them at once: writes on every dialect (one transaction), reads where the
# dialect binds arrays (one statement)
_BATCHED_WRITES = {"set": "set_many", "delete": "delete_many"}
_BATCHED_READS = {"get": "get_many", "get_and_renew": "get_and_renew_many", "expiry": "expiry_many"}
_MOST_PER_BATCH = 256
_MOST_BATCH_BYTES = 8 * 1024 * 1024


class StoreBackend:
    """Runs the store operations of one table on one config, for every namespace's store."""

    __slots__ = ("_batching", "_creating", "_creations", "_ops", "_pool", "_run", "config", "create_missing")

    def __init__(self, config: Any, sql: StoreStatements, *, create_missing: bool) -> None:
        self.config = config
        self.create_missing = create_missing
        # as many connections as the pool has, or one writer at a time on SQLite and DuckDB
        slots = worker_threads(config, single_writer=sql.facts.single_writer)
        if config.is_async:
            self._ops: Any = AsyncStoreOps(config, sql)
            self._run: Any = _compat_async.run
        else:
            self._ops = SyncStoreOps(config, sql)
            self._run = _compat_sync.workers_for(config, single_writer=sql.facts.single_writer).run
        self._pool = PoolUse(config, self._run)
        self._creating = anyio.Lock()
        self._creations = 0
        # Concurrent operations of one kind beyond those slots go out together.
        batched = {**_BATCHED_WRITES, **(_BATCHED_READS if sql.batch is not None else {})}
        self._batching: dict[str, Coalescer[tuple[Any, ...], Any]] = {
            operation: Coalescer(
                partial(self._call_with, operation),
                partial(self._held_call, many),
                slots=slots,
                most=_MOST_PER_BATCH,
                weight=_value_bytes if operation == "set" else None,
                most_weight=_MOST_BATCH_BYTES,
                name=f"{config_label(config)} store {operation} batch",
            )
            for operation, many in batched.items()
        }

    async def call(self, operation: str, *args: Any) -> Any:
        """Run ``operation``; a missing table is created first when the config allows it, else clearly reported.

        Concurrent calls of one operation beyond the pool's size are batched (see ``_BATCHED_WRITES``).
        """
        batching = self._batching.get(operation)
        if batching is not None:
            return await batching(args)
        return await self._held_call(operation, *args)

    def _call_with(self, operation: str, args: tuple[Any, ...]) -> Awaitable[Any]:
        return self._held_call(operation, *args)

    async def _held_call(self, operation: str, *args: Any) -> Any:
        if self._pool.ready():  # the hot path: inside a running app
            return await self._call(operation, *args)
        async with self._pool.held():
            return await self._call(operation, *args)

    async def _call(self, operation: str, *args: Any) -> Any:
        creations = self._creations
        try:
            return await self._run(getattr(self._ops, operation), *args)
        except Exception as exc:
            if not await self._table_was_missing(creations, exc):
                raise
        return await self._run(getattr(self._ops, operation), *args)

    async def create_table(self) -> None:
        """Create the table and its index unless they exist."""
        async with self._pool.held(), self._creating:
            await self._create_table()

    async def drop_table(self) -> None:
        """Drop the table if it exists."""
        async with self._pool.held():
            await self._run(self._ops.drop_table)

    async def _table_was_missing(self, creations: int, error: Exception) -> bool:
        # Whether an operation that failed with ``error`` should run again: its table was missing, and exists now.
        async with self._creating:
            if self._creations != creations:
                return True  # a concurrent call created it meanwhile
            try:
                exists = await self._run(self._ops.table_exists)
            except Exception:  # noqa: BLE001 - the database is unwell: the operation's own error is the one to show
                return False
            if exists:
                return False
            if not self.create_missing:
                msg = (
                    f"{config_label(self.config)}: the store table {self._ops.sql.table!r} does not exist; create it "
                    "with `await store.create_table()` or with `litestar database upgrade` "
                    "(include_extensions=['litestar'])"
                )
                raise ImproperConfigurationError(msg) from error
            await self._create_table()
            return True

    async def _create_table(self) -> None:
        # Called holding ``_creating``: one creation at a time in this process.
        await create_table_racing(self._run, self._ops)
        self._creations += 1


def _value_bytes(args: tuple[Any, ...]) -> int:
    # a set's (namespace, key, value, expires_at): its value's size
    return len(args[2])
