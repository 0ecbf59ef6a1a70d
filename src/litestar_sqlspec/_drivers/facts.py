"""What the package needs to know of one sqlspec adapter's raw connections, as one record of data.

Each adapter (and flavour, for adapters with both) has one ``DriverFacts`` entry in ``_drivers``. The callables take
the raw connection of the config's pool; for an async adapter they return awaitables, for a sync one plain values.
Nothing here opens a connection or imports a driver until it is called.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ("DriverFacts", "Listen", "Listening", "no_transaction_state")


@dataclass(frozen=True, slots=True)
class Listening:
    """What a PostgreSQL listener calls back, and when it stops."""

    on_wake: Callable[[], None]
    """Called per notification whose payload is not ``ignore``."""
    on_listening: Callable[[], None]
    """Called once the ``LISTEN`` is in place."""
    stopping: Callable[[], bool]
    """The listener returns once this holds, checked at least every ``check_every`` seconds."""
    check_every: float
    ignore: str
    """The payload of this process's own wake-ups (its publishes wake their readers directly)."""


Listen = Callable[[Any, str, Listening], Any]
"""``listen(config, channel, listening)``: hold a connection of its own LISTENing to ``channel`` and call back as
``listening`` says; raise when the connection is lost."""


def no_transaction_state(connection: Any) -> bool | None:
    """For drivers that do not tell without a round trip whether a transaction is open."""
    return None


@dataclass(frozen=True, slots=True)
class DriverFacts:
    """One adapter's raw-connection behaviour.

    Statements given to ``execute``/``executemany`` are already in the adapter's parameter style.
    """

    adapter: str
    """sqlspec's adapter package name (``sqlspec.adapters.<adapter>``)."""
    is_async: bool
    execute: Callable[[Any, str, Any], Any]
    """Run one statement; return ``(rows, row count)`` (rows as sequences; the count is -1 when unknown)."""
    executemany: Callable[[Any, str, list[Any]], Any]
    """Run one statement once per parameter set; nothing comes back."""
    commit: Callable[[Any], Any]
    rollback: Callable[[Any], Any]
    in_transaction: Callable[[Any], bool | None] = no_transaction_state
    """Whether a transaction is open, read from the client's own state (no I/O); ``None`` when it cannot tell."""
    begin: Callable[[Any], Any] | None = None
    """For drivers that run each statement in a transaction of its own unless one is begun (asyncpg, psqlpy,
    DuckDB): begins one. ``None``: the driver opens a transaction itself with the first statement (DB-API)."""
    statement_methods: frozenset[str] = frozenset()
    """With ``begin``: the connection's methods that run statements, before which a request's transaction is begun."""
    ending_methods: frozenset[str] = frozenset()
    """With ``begin``: the connection's methods that end a transaction (commit, rollback)."""
    end_for_release: Callable[[Any, bool], Any] | None = None
    """With ``begin``: ``end_for_release(connection, commit)`` ends the transaction of a connection about to go back to
    its pool and resets its session as the pool would, in the same round trip (asyncpg); ``None``: ``commit`` or
    ``rollback``, and the pool resets it."""
    autocommit_on: Callable[[Any], Any] | None = None
    """Put the connection in autocommit mode without I/O, for one statement of the package's own (no COMMIT trip);
    returns the call that puts the mode back, or ``None`` when there is nothing to put back."""
    autocommit_off: Callable[[Any], Any] | None = None
    """Take a connection configured in autocommit mode out of it, for a request's transaction; returns the call that
    puts the mode back (at release), or ``None`` when it was not in autocommit mode."""
    reports_rowcount: bool = True
    """Whether ``execute`` reports how many rows a write touched (else a count needs ``RETURNING``)."""
    binds_bytea_arrays: bool = True
    """Whether arrays of bytes bind as ``bytea[]`` (PostgreSQL batch statements need it)."""
    listen: Listen | None = None
    """PostgreSQL ``LISTEN`` on a connection of its own; ``None``: readers in other processes poll instead."""
    create_lob: Callable[[Any, bytes], Any] | None = None
    """A temporary LOB holding the bytes, for values above the dialect's bind limit (Oracle)."""
    direct_checkout: Callable[[Any], tuple[Callable[[], Any], Callable[[Any], Any]] | None] | None = None
    """The pool's own "take" and "give back" calls, where the config's context adds only cost (psycopg_pool)."""
    idle_check: Callable[[Any], Callable[[], Any] | None] | None = None
    """The pool's "test the idle connections, replace the dead" call, after a connection was found dead."""
    connection_lost: Callable[[Any], bool] | None = None
    """Whether the connection is known to be dead (the server dropped it)."""
    checkout_limit: Callable[[Any], int | None] | None = None
    """How many connections the pool can hand out at once, where requests beyond it must wait for the plugin's turn:
    a sync pool blocks its caller's thread while it waits (psycopg), some fail at once (mysql-connector)."""
    prepare_config: Callable[[Any], None] | None = None
    """Called once per config before its pool is created by the package: pool settings the package relies on (asyncpg:
    a reset that spares connections used only by the package's own statements)."""
    exclusive_checkout: bool = False
    """Whether the config's own pool hands out one connection per thread (sqlite3, DuckDB): requests then take
    connections of their own from an exclusive checkout (``create_connection``)."""
    sql_dialect: str = ""
    """The dialect of the store's and channels' SQL where it is not sqlspec's statement dialect of the config:
    CockroachDB reports ``"postgres"`` and is not PostgreSQL; arrow-odbc's connections are not DB-API (``"odbc"``)."""
    private_memory: Callable[[Any], bool] | None = None
    """Whether every new connection of the config would open a different, empty in-memory database."""

    @property
    def autocommits_by_default(self) -> bool:
        """Whether each statement commits on its own unless a transaction is begun."""
        return self.begin is not None
