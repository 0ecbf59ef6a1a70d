"""asyncpg and psqlpy: PostgreSQL drivers that run each statement in a transaction of its own unless one is begun.

The package begins one (``begin``) for a request and for several statements of its own. Rows come from fetch-style
calls, row counts from the command tag (asyncpg) or ``RETURNING`` (psqlpy reports none). Each listens on a connection
of its own: asyncpg's ``add_listener``, psqlpy's ``Listener``.
"""

import asyncio
import contextlib
import re
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

from litestar_sqlspec._drivers.facts import DriverFacts, Listening
from litestar_sqlspec._drivers.statements import returns_rows

__all__ = ("ASYNCPG", "PSQLPY", "reset_unless_clean")

_TAG_COUNT = re.compile(r"(\d+)\s*$")


async def _asyncpg_execute(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    if returns_rows(statement):
        rows = await connection.fetch(statement, *parameters)
        return list(rows), len(rows)
    tag = await connection.execute(statement, *parameters)
    found = _TAG_COUNT.search(tag or "")
    return [], int(found.group(1)) if found else -1


async def _asyncpg_executemany(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    await connection.executemany(statement, parameter_sets)


async def _asyncpg_begin(connection: Any) -> None:
    await connection.execute("BEGIN")


async def _asyncpg_commit(connection: Any) -> None:
    await connection.execute("COMMIT")


async def _asyncpg_rollback(connection: Any) -> None:
    await connection.execute("ROLLBACK")


def _asyncpg_in_transaction(connection: Any) -> bool:
    return bool(connection.is_in_transaction())


# asyncpg's pool runs a reset query (``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;``) on every
# connection it takes back: a second round trip for each statement of the store. The package's own statements leave no
# session state (their settings and advisory locks are local to their transaction), so a connection they used goes
# back without it; every other use of the pool keeps asyncpg's reset.
_CLEAN: "weakref.WeakSet[Any]" = weakref.WeakSet()


async def reset_unless_clean(connection: Any) -> None:
    """Asyncpg's default reset, except for a connection whose only use since it was taken is the package's own."""
    if connection in _CLEAN:
        _CLEAN.discard(connection)
        return
    query = connection.get_reset_query()
    if query:
        await connection.execute(query)


async def _asyncpg_end_for_release(connection: Any, commit: bool) -> None:
    # A pooled connection (asyncpg's proxy) whose pool resets with ``reset_unless_clean``: the reset query travels
    # with the COMMIT (one simple query, one round trip; a failing COMMIT stops it there and the pool resets as
    # usual), and the pool's own reset is spared.
    ending = "COMMIT" if commit else "ROLLBACK"
    raw = getattr(connection, "_con", None)
    pool = getattr(getattr(connection, "_holder", None), "_pool", None)
    query = raw.get_reset_query() if raw is not None and getattr(pool, "_reset", None) is reset_unless_clean else ""
    if not query:
        await connection.execute(ending)
        return
    await connection.execute(f"{ending};\n{query}")
    _CLEAN.add(raw)


def _asyncpg_pool_defaults(config: Any) -> None:
    # sqlspec passes connection_config["reset"] to asyncpg.create_pool; a reset of the user's own is left alone
    if isinstance(config.connection_config, dict):
        config.connection_config.setdefault("reset", reset_unless_clean)


def _asyncpg_checkout(pool: Any) -> tuple[Callable[[], Any], Callable[[Any], Any]] | None:
    if getattr(pool, "_reset", None) is not reset_unless_clean:
        return None  # a pool with a reset of its own (or asyncpg's default): the config's context

    async def give_back(connection: Any) -> None:
        raw = getattr(connection, "_con", None)
        if raw is not None and not raw.is_in_transaction():
            _CLEAN.add(raw)
        await pool.release(connection)

    return pool.acquire, give_back


def _asyncpg_lost(connection: Any) -> bool:
    return bool(connection.is_closed())


async def _asyncpg_listen(config: Any, channel: str, listening: Listening) -> None:
    connection = await config.create_connection()  # of its own: no pool slot
    lost = asyncio.Event()

    def notified(_connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload != listening.ignore:
            listening.on_wake()

    try:
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(channel, notified)
        listening.on_listening()
        while not listening.stopping():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(listening.check_every):
                    await lost.wait()
            if lost.is_set() or connection.is_closed():
                msg = f"the connection LISTENing to {channel!r} was lost"
                raise ConnectionError(msg)
    finally:
        if not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)


async def _psqlpy_control(connection: Any, statement: str) -> None:
    # the simple query protocol: one round trip, where ``execute`` prepares the statement first (two, and a Close)
    await connection.execute_batch(statement)


async def _psqlpy_execute(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    result = await connection.execute(statement, parameters)
    rows = result.result(as_tuple=True)
    # psqlpy reports no row count: writes whose count matters say RETURNING (``reports_rowcount``)
    return list(rows), len(rows) if rows else -1


async def _psqlpy_executemany(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    await connection.execute_many(statement, parameter_sets)


async def _psqlpy_listen(config: Any, channel: str, listening: Listening) -> None:
    pool = config.connection_instance
    if pool is None:
        pool = config.connection_instance = await config.create_pool()
    listener = pool.listener()  # a connection of its own, outside the pool's slots

    async def notified(_connection: Any, payload: str, _channel: str, _pid: int) -> None:
        if payload != listening.ignore:
            listening.on_wake()

    await listener.add_callback(channel=channel, callback=notified)
    await listener.startup()
    try:
        listener.listen()
        listening.on_listening()
        while not listening.stopping():
            await asyncio.sleep(listening.check_every)
            if not listener.is_started or listener.connection is None:
                msg = f"the connection LISTENing to {channel!r} was lost"
                raise ConnectionError(msg)
    finally:
        with contextlib.suppress(Exception):
            await listener.shutdown()


ASYNCPG = DriverFacts(
    adapter="asyncpg",
    is_async=True,
    execute=_asyncpg_execute,
    executemany=_asyncpg_executemany,
    commit=_asyncpg_commit,
    rollback=_asyncpg_rollback,
    in_transaction=_asyncpg_in_transaction,
    begin=_asyncpg_begin,
    end_for_release=_asyncpg_end_for_release,
    statement_methods=frozenset(
        {"execute", "executemany", "fetch", "fetchrow", "fetchval", "fetchmany", "cursor", "prepare"}
        | {"copy_from_table", "copy_from_query", "copy_to_table", "copy_records_to_table"}
    ),
    listen=_asyncpg_listen,
    connection_lost=_asyncpg_lost,
    direct_checkout=_asyncpg_checkout,
    prepare_config=_asyncpg_pool_defaults,
)
PSQLPY = DriverFacts(
    adapter="psqlpy",
    is_async=True,
    execute=_psqlpy_execute,
    executemany=_psqlpy_executemany,
    commit=partial(_psqlpy_control, statement="COMMIT"),
    rollback=partial(_psqlpy_control, statement="ROLLBACK"),
    begin=partial(_psqlpy_control, statement="BEGIN"),
    statement_methods=frozenset(
        {"execute", "execute_many", "execute_batch", "fetch", "fetch_row", "fetch_val", "cursor", "prepare"}
        | {"binary_copy_to_table", "copy_records_to_table"}
    ),
    reports_rowcount=False,
    binds_bytea_arrays=False,  # psqlpy 0.13 encodes list[bytes] elements wrongly (a 4-byte prefix each)
    listen=_psqlpy_listen,
)
