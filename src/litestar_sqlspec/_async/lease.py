"""One request's connection: acquired once, its transaction ended once, released once."""

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig
from sqlspec.driver import AsyncDriverAdapterBase
from sqlspec.exceptions import SQLSpecError

from litestar_sqlspec._async.begin_on_use import AsyncBeginOnUse
from litestar_sqlspec._drivers import DriverFacts
from litestar_sqlspec.released import ReleasedConnection
from litestar_sqlspec.settings import config_label

__all__ = ("AsyncConnectionLease",)

logger = logging.getLogger("litestar_sqlspec")

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


class AsyncConnectionLease:
    """A connection checked out for one request (or websocket) and the driver session built on it.

    The driver is built on first use and shared by everything that asks for it during the request. Whatever the
    driver does by default, the connection runs in one transaction until it is committed or rolled back: drivers that
    autocommit each statement get theirs begun before the first statement (``AsyncBeginOnUse``), and a connection
    configured in autocommit mode is taken out of it until it is released.
    """

    __slots__ = (
        "_context",
        "_driver",
        "_facts",
        "_open_context",
        "_restore",
        "config",
        "connection",
        "failed",
        "lost",
    )

    def __init__(
        self,
        config: AsyncAnyConfig,
        open_context: Callable[[], AbstractAsyncContextManager[Any]],
        facts: DriverFacts,
    ) -> None:
        self.config = config
        self.connection: Any = None
        self.failed = False
        self.lost = False
        """Whether the connection was found dead (the server dropped it) when it was released."""
        self._facts = facts
        self._open_context = open_context
        self._context: AbstractAsyncContextManager[Any] | None = None
        self._driver: AsyncDriverAdapterBase | None = None
        self._restore: Callable[[], Any] | None = None

    @property
    def active(self) -> bool:
        """Whether the connection is checked out and not yet released."""
        return self._context is not None

    async def acquire(self) -> None:
        """Check a connection out of the config's pool (or open one for a config without a pool)."""
        context = self._open_context()
        connection = await context.__aenter__()
        self._context = context
        facts = self._facts
        if facts.begin is not None:
            self.connection = AsyncBeginOnUse(connection, facts)
            return
        self.connection = connection
        if facts.autocommit_off is not None:
            try:
                self._restore = await facts.autocommit_off(connection)
            except BaseException as exc:
                self._context = None
                await context.__aexit__(type(exc), exc, exc.__traceback__)
                raise

    def in_transaction(self) -> bool | None:
        """Whether the connection has a transaction open, as far as the client knows without a round trip."""
        connection = self.connection
        if isinstance(connection, AsyncBeginOnUse):
            return connection.in_transaction
        return self._facts.in_transaction(connection)

    def _is_lost(self) -> bool:
        lost = self._facts.connection_lost
        connection = self.connection
        if isinstance(connection, AsyncBeginOnUse):
            connection = connection.raw_connection
        return lost is not None and connection is not None and lost(connection)

    def driver(self) -> AsyncDriverAdapterBase:
        """The driver session on this connection, built once."""
        if self._driver is None:
            config = self.config
            driver = config.driver_type(
                connection=self.connection,
                statement_config=config.statement_config,
                driver_features=config.driver_features,
            )
            self._driver = config._prepare_driver(driver)  # attaches sqlspec's observability
        return self._driver

    async def finish(self, commit: bool) -> None:
        """Commit (or roll back) the transaction, then release the connection.

        The connection is released on every path. A failed commit is raised; a failed rollback is only logged,
        since the outcome is the same (nothing is committed) and the pool discards the broken connection. When the
        caller is cancelled midway the lease stays active, and ``finish(False)`` may be called again to complete it.
        """
        context = self._context
        if context is None:
            return
        try:
            if self.in_transaction() is False:
                pass  # nothing to end: spare the round trip
            elif isinstance(self.connection, AsyncBeginOnUse) and getattr(self._driver, "_transaction", None) is None:
                await self._end_begun(commit)  # (a transaction the session began itself is ended by the session)
            elif commit:
                await self._commit()
            else:
                await self.driver().rollback()
            if self._restore is not None:
                restore, self._restore = self._restore, None
                await restore()
        except Exception as exc:
            self._context = None
            self.lost = self._is_lost()
            try:
                await context.__aexit__(type(exc), exc, exc.__traceback__)
            except Exception:
                logger.debug("releasing a connection after a failed transaction end also failed", exc_info=True)
            self._forget_connection()
            if commit:
                raise
            logger.warning("rollback failed; the connection was released as broken", exc_info=True)
            return
        self.lost = self._is_lost()
        await context.__aexit__(None, None, None)
        self._context = None
        self._forget_connection()

    async def _end_begun(self, commit: bool) -> None:
        # The driver entry's own COMMIT/ROLLBACK: one round trip (sqlspec's psqlpy driver prepares them: two), the
        # pool's reset included where the driver lets it travel with them (the release follows at once); its errors
        # mapped as the driver maps a statement's (a deferred constraint's violation is an IntegrityError).
        connection = self.connection
        assert isinstance(connection, AsyncBeginOnUse)
        handler = self.driver().handle_database_exceptions()
        async with handler:
            await connection.end(commit, releasing=True)
        mapped = getattr(handler, "pending_exception", None)
        if mapped is not None:
            raise mapped

    async def _commit(self) -> None:
        driver = self.driver()
        try:
            await driver.commit()
        except SQLSpecError as error:
            # Some of sqlspec's drivers (psqlpy) raise a failed COMMIT unmapped: map its cause as the driver maps the
            # errors of statements, so that a deferred constraint's violation is an IntegrityError there too.
            cause = error.__cause__
            if cause is None or type(error) is not SQLSpecError:
                raise
            handler = driver.handle_database_exceptions()
            async with handler:
                raise cause from None
            mapped = getattr(handler, "pending_exception", None)
            if mapped is None:
                raise
            raise mapped from cause

    def _forget_connection(self) -> None:
        # The driver may outlive the request (a background task, a streamed body) while the connection serves others.
        if self._driver is not None:
            self._driver.connection = ReleasedConnection(config_label(self.config))
