"""A request's connection on a driver that autocommits each statement: the first statement of a transaction begins it.

asyncpg, psqlpy and DuckDB run every statement in a transaction of its own unless one is begun. Wrapped in
``AsyncBeginOnUse``, the connection (and the driver session built on it) behaves as a DB-API connection does: the
first statement opens a transaction that lasts until it is committed or rolled back, and the next statement opens the
next one. A request that runs no statement begins nothing and costs no round trip.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar_sqlspec._drivers import DriverFacts, ends_transaction, is_transaction_control

__all__ = ("AsyncBeginOnUse",)

_OWN = frozenset({"_connection", "_facts", "_open"})


class AsyncBeginOnUse:
    """The connection, with a ``BEGIN`` before the first statement of each transaction.

    Everything else is the connection's own: attributes are read from and written to it. Statements that begin or end
    a transaction themselves (``BEGIN``, ``COMMIT``, ``SAVEPOINT``, …) pass through unchanged and are taken into
    account, as are the connection's commit and rollback methods.
    """

    __slots__ = ("_connection", "_facts", "_open")

    def __init__(self, connection: Any, facts: DriverFacts) -> None:
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_facts", facts)
        object.__setattr__(self, "_open", False)

    @property
    def raw_connection(self) -> Any:
        """The driver's own connection."""
        return self._connection

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (the driver's own state where it keeps one, else what passed through here)."""
        known = self._facts.in_transaction(self._connection)
        return self._open if known is None else known

    async def end(self, commit: bool, *, releasing: bool = False) -> None:
        """Commit (or roll back) the open transaction with the driver entry's own statement (one round trip).

        ``releasing``: the connection goes back to its pool next, and its session may be reset in the same round trip
        (the driver entry's ``end_for_release``).
        """
        facts = self._facts
        try:
            if releasing and facts.end_for_release is not None:
                await facts.end_for_release(self._connection, commit)
            else:
                await (facts.commit if commit else facts.rollback)(self._connection)
        finally:
            self._open = False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._connection, name)
        if name in self._facts.statement_methods:
            return partial(self._statement, attribute)
        if name in self._facts.ending_methods:
            return partial(self._ending, attribute)
        return attribute

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self._connection, name, value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._connection!r}>"

    async def _statement(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        statement = args[0] if args else next(iter(kwargs.values()), None)
        if isinstance(statement, str) and is_transaction_control(statement):
            result = await method(*args, **kwargs)
            self._open = not ends_transaction(statement)
            return result
        if not self.in_transaction:
            begin = self._facts.begin
            if begin is not None:
                await begin(self._connection)
            self._open = True
        return await method(*args, **kwargs)

    async def _ending(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        finally:
            self._open = False
