"""A minimal NoPool async config over aiosqlite: sqlspec ships no unpooled async adapter, the plugin must serve one."""

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, ClassVar

import aiosqlite
from sqlspec.adapters.aiosqlite import AiosqliteDriver
from sqlspec.adapters.aiosqlite.core import default_statement_config
from sqlspec.config import NoPoolAsyncConfig

__all__ = ("AiosqliteNoPoolConfig",)


class _OpenConnection(AbstractAsyncContextManager[aiosqlite.Connection]):
    def __init__(self, config: "AiosqliteNoPoolConfig") -> None:
        self._config = config
        self._connection: aiosqlite.Connection | None = None

    async def __aenter__(self) -> aiosqlite.Connection:
        self._connection = await self._config.create_connection()
        return self._connection

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None


class AiosqliteNoPoolConfig(NoPoolAsyncConfig[aiosqlite.Connection, AiosqliteDriver]):
    """Opens one aiosqlite connection per checkout and closes it on release."""

    driver_type: ClassVar[type[Any]] = AiosqliteDriver
    connection_type: ClassVar[type[Any]] = aiosqlite.Connection

    def __init__(self, *, database: str, **kwargs: Any) -> None:
        super().__init__(connection_config={"database": database}, statement_config=default_statement_config, **kwargs)

    async def create_connection(self) -> aiosqlite.Connection:
        # One connection per request and no pool to bound them: under a burst of writers SQLite's busy waits can
        # exceed the default 5 s, so wait longer.
        return await aiosqlite.connect(self.connection_config["database"], timeout=30)

    def provide_connection(self, *args: Any, **kwargs: Any) -> _OpenConnection:
        return _OpenConnection(self)
