"""Run fixed SQL statements on a connection of a config's own pool, in the driver's own parameter style.

Shared by the store and the channels backend: their statements are fixed, so sqlspec's statement pipeline would only
add cost. Each call checks a connection out (with the pool's own calls where the config's context only adds cost),
runs its statement(s), commits when the driver has a transaction open, and gives the connection back; after an error
the transaction is rolled back before the connection goes back.
"""

import contextlib
from collections.abc import Callable
from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig

from litestar_sqlspec._async.lifecycle import replace_dead_connections_async
from litestar_sqlspec._compat_async import pool_gate
from litestar_sqlspec._drivers import driver_for
from litestar_sqlspec.dialects import CompiledStatement, compile_statement, execution_style

__all__ = ("AsyncStatementRunner",)

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


class AsyncStatementRunner:
    """Runs named-parameter statements (``:name``) on one config."""

    __slots__ = ("_checkout", "_compiled", "_driver", "_style", "config", "large_value_bytes")

    def __init__(self, config: AsyncAnyConfig, *, large_value_bytes: int | None = None) -> None:
        self.config = config
        self.large_value_bytes = large_value_bytes
        """Values longer than this are bound as a temporary LOB (Oracle binds at most 32 KB of RAW in SQL)."""
        self._style = execution_style(config)
        self._driver = driver_for(config)
        self._compiled: dict[str, CompiledStatement] = {}
        self._checkout: tuple[Any, tuple[Callable[[], Any], Callable[[Any], Any]] | None] = (None, None)

    @property
    def reports_rowcount(self) -> bool:
        """Whether a write's row count comes back (else a count needs ``RETURNING``)."""
        return bool(self.config.supports_reliable_rowcount) and self._driver.reports_rowcount

    def _bind(self, statement: str, parameters: dict[str, Any]) -> tuple[str, Any]:
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = compile_statement(statement, self._style)
        return compiled.text, compiled.bind(parameters)

    async def rows(
        self, *statements: str, parameters: dict[str, Any] | None = None, large_value: str | None = None
    ) -> tuple[list[Any], int]:
        """Run ``statements`` in order in one transaction; return the last one's rows and row count.

        A single statement runs in autocommit where the driver can switch to it: one round trip, no BEGIN/COMMIT.
        When the connection turns out to be dead (the server dropped it), the pool's idle connections are checked
        and the statements run once more on a live one: every statement of the store and the channels is safe to
        repeat.
        """
        bound = parameters or {}
        return await self.steps([(statement, bound) for statement in statements], large_value=large_value)

    async def steps(
        self, steps: list[tuple[str, dict[str, Any]]], *, large_value: str | None = None
    ) -> tuple[list[Any], int]:
        """Run each statement with its own parameters, in order, in one transaction (one commit for all of them).

        Otherwise like ``rows``: the last statement's rows and row count are returned. Steps that all run one
        statement go to the driver's ``executemany`` (one round trip or thread hop where the driver batches); they
        return no rows.
        """
        try:
            return await self._steps_once(steps, large_value)
        except _ConnectionLostError:
            await replace_dead_connections_async(self.config)
        return await self._steps_once(steps, large_value, retry=False)

    async def _steps_once(
        self, steps: list[tuple[str, dict[str, Any]]], large_value: str | None, *, retry: bool = True
    ) -> tuple[list[Any], int]:
        limit = self._driver.checkout_limit
        pool = self.config.connection_instance
        size = limit(pool) if limit is not None and pool is not None else None
        if size is None:
            return await self._checked_out(steps, large_value, retry=retry)
        async with pool_gate(pool, size):  # a pool that fails a checkout when every connection is out: wait a turn
            return await self._checked_out(steps, large_value, retry=retry)

    async def _checked_out(
        self, steps: list[tuple[str, dict[str, Any]]], large_value: str | None, *, retry: bool
    ) -> tuple[list[Any], int]:
        direct = self._direct_checkout()
        if direct is None:
            async with self.config.provide_connection() as connection:
                return await self._run_on(connection, steps, large_value, retry=retry)
        take, give_back = direct
        connection = await take()
        try:
            return await self._run_on(connection, steps, large_value, retry=retry)
        finally:
            await give_back(connection)

    def _direct_checkout(self) -> tuple[Callable[[], Any], Callable[[Any], Any]] | None:
        pool = getattr(self.config, "connection_instance", None)
        known, direct = self._checkout
        if pool is not known:  # a new pool (or the first call): learn its checkout once
            learn = self._driver.direct_checkout
            direct = learn(pool) if learn is not None else None
            self._checkout = (pool, direct)
        return direct

    async def _run_on(
        self, connection: Any, steps: list[tuple[str, dict[str, Any]]], large_value: str | None, *, retry: bool
    ) -> tuple[list[Any], int]:
        driver = self._driver
        restore = None
        began = False
        if len(steps) == 1:
            if driver.autocommit_on is not None:  # one statement in autocommit: no COMMIT trip
                restore = await driver.autocommit_on(connection)
        elif driver.begin is not None:  # a driver that autocommits each statement: one transaction for all
            await driver.begin(connection)
            began = True
        try:
            if large_value is not None and self.large_value_bytes is not None:
                steps = await self._with_lobs(connection, steps, large_value)
            rows: list[Any] = []
            count = 0
            first = steps[0][0]
            if len(steps) > 1 and all(statement is first for statement, _ in steps):
                text = self._bind(first, steps[0][1])[0]
                await driver.executemany(connection, text, [self._bind(first, bound)[1] for _, bound in steps])
                count = len(steps)
            else:
                for statement, bound in steps:
                    rows, count = await driver.execute(connection, *self._bind(statement, bound))
            if began or (driver.begin is None and driver.in_transaction(connection) is not False):
                await driver.commit(connection)
        except Exception as exc:
            if retry and self._lost(connection):
                raise _ConnectionLostError from exc
            if began or (driver.begin is None and driver.in_transaction(connection) is not False):
                with contextlib.suppress(Exception):  # the statement's own error is the one to report
                    await driver.rollback(connection)  # before the connection goes back, whichever way it goes back
            raise
        finally:
            if restore is not None and not self._lost(connection):
                await restore()
        return rows, count

    def _lost(self, connection: Any) -> bool:
        lost = self._driver.connection_lost
        return lost is not None and lost(connection)

    async def _with_lobs(
        self, connection: Any, steps: list[tuple[str, dict[str, Any]]], name: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """``steps``, with values of ``name`` longer than ``large_value_bytes`` bound as temporary LOBs (Oracle)."""
        threshold = self.large_value_bytes or 0
        with_lobs = []
        for statement, parameters in steps:
            value = parameters.get(name)
            if value is not None and len(value) > threshold:
                parameters = {**parameters, name: await self._create_lob(connection, value)}  # noqa: PLW2901
            with_lobs.append((statement, parameters))
        return with_lobs

    async def _create_lob(self, connection: Any, value: bytes) -> Any:
        create = self._driver.create_lob
        if create is None:
            msg = f"{self.config!r}: values over {self.large_value_bytes} bytes need LOBs, which its driver lacks"
            raise TypeError(msg)
        return await create(connection, value)


class _ConnectionLostError(Exception):
    """The connection died under a statement; the statement may run again on another one."""
