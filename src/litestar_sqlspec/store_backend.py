"""What the stores of one table share.

Their operations, the threads a sync config runs them in, the pool they use (``standalone_pool.PoolUse``), and the
creation of a missing table.
"""

from typing import Any

import anyio
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import _compat_async, _compat_sync
from litestar_sqlspec._async.store_ops import AsyncStoreOps
from litestar_sqlspec._sync.store_ops import SyncStoreOps
from litestar_sqlspec.dialects import StoreStatements
from litestar_sqlspec.pool_facts import worker_threads
from litestar_sqlspec.schema import create_table_racing
from litestar_sqlspec.settings import config_label
from litestar_sqlspec.standalone_pool import PoolUse

__all__ = ("StoreBackend",)


class StoreBackend:
    """Runs the store operations of one table on one config, for every namespace's store."""

    __slots__ = ("_creating", "_creations", "_ops", "_pool", "_run", "config", "create_missing")

    def __init__(self, config: Any, sql: StoreStatements, *, create_missing: bool) -> None:
        self.config = config
        self.create_missing = create_missing
        if config.is_async:
            self._ops: Any = AsyncStoreOps(config, sql)
            self._run: Any = _compat_async.run
        else:
            self._ops = SyncStoreOps(config, sql)
            self._run = _compat_sync.ThreadWorkers(
                worker_threads(config, single_writer=sql.single_writer), "litestar-sqlspec-store"
            ).run
        self._pool = PoolUse(config, self._run)
        self._creating = anyio.Lock()
        self._creations = 0

    async def call(self, operation: str, *args: Any) -> Any:
        """Run ``operation``; a missing table is created first when the config allows it, else clearly reported."""
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
