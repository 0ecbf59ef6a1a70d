"""One request's connection: acquired once, its transaction ended once, released once."""

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig
from sqlspec.driver import AsyncDriverAdapterBase

from litestar_sqlspec.released import ReleasedConnection
from litestar_sqlspec.settings import config_label
from litestar_sqlspec.transactions import has_open_transaction

__all__ = ("AsyncConnectionLease",)

logger = logging.getLogger("litestar_sqlspec")

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


class AsyncConnectionLease:
    """A connection checked out for one request (or websocket) and the driver session built on it.

    The driver is built on first use and shared by everything that asks for it during the request.
    """

    __slots__ = ("_context", "_driver", "_open_context", "config", "connection", "failed")

    def __init__(self, config: AsyncAnyConfig, open_context: Callable[[], AbstractAsyncContextManager[Any]]) -> None:
        self.config = config
        self.connection: Any = None
        self.failed = False
        self._open_context = open_context
        self._context: AbstractAsyncContextManager[Any] | None = None
        self._driver: AsyncDriverAdapterBase | None = None

    @property
    def active(self) -> bool:
        """Whether the connection is checked out and not yet released."""
        return self._context is not None

    async def acquire(self) -> None:
        """Check a connection out of the config's pool (or open one for a config without a pool)."""
        context = self._open_context()
        self.connection = await context.__aenter__()
        self._context = context

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
            if has_open_transaction(self.connection) is False:
                pass  # nothing to end: spare the round trip
            elif commit:
                await self.driver().commit()
            else:
                await self.driver().rollback()
        except Exception as exc:
            self._context = None
            try:
                await context.__aexit__(type(exc), exc, exc.__traceback__)
            except Exception:
                logger.debug("releasing a connection after a failed transaction end also failed", exc_info=True)
            self._forget_connection()
            if commit:
                raise
            logger.warning("rollback failed; the connection was released as broken", exc_info=True)
            return
        await context.__aexit__(None, None, None)
        self._context = None
        self._forget_connection()

    def _forget_connection(self) -> None:
        # The driver may outlive the request (a background task, a streamed body) while the connection serves others.
        if self._driver is not None:
            self._driver.connection = ReleasedConnection(config_label(self.config))
