"""The channels table's operations, and the PostgreSQL listener that wakes readers in other processes."""

import logging
from typing import Any

from sqlspec.config import AsyncDatabaseConfig, NoPoolAsyncConfig

from litestar_sqlspec._async.statements import AsyncStatementRunner
from litestar_sqlspec._compat_async import asleep, read_bytes_async
from litestar_sqlspec._drivers import Listening, driver_for
from litestar_sqlspec.channel_dialects import ChannelStatements

__all__ = (
    "FIRST_BACKOFF_SECONDS",
    "LONGEST_BACKOFF_SECONDS",
    "AsyncChannelOps",
    "listen_forever_async",
)

logger = logging.getLogger("litestar_sqlspec.channels")

FIRST_BACKOFF_SECONDS = 0.05
"""The first pause after a database error; each further one doubles, up to ``LONGEST_BACKOFF_SECONDS``."""
LONGEST_BACKOFF_SECONDS = 2.0

AsyncAnyConfig = AsyncDatabaseConfig[Any, Any, Any] | NoPoolAsyncConfig[Any, Any]


class AsyncChannelOps:
    """Runs the channel statements of one table on one config."""

    __slots__ = ("_runner", "config", "sql")

    def __init__(self, config: AsyncAnyConfig, sql: ChannelStatements) -> None:
        self.config = config
        self.sql = sql
        self._runner = AsyncStatementRunner(config, large_value_bytes=sql.facts.large_value_bytes)

    async def publish(self, messages: list[tuple[list[str], bytes]], now: float, origin: str) -> range | None:
        """Append ``messages`` (``(channel keys, payload)`` each) in order, committed together.

        One row per channel key, in one statement where the dialect takes a batch, else in one transaction. Returns
        the ids of the rows, in order, where the dialect reports them (else ``None``). ``origin`` names the
        publishing process in the wake-up it sends.
        """
        sql = self.sql
        common = {"now": now, "lock": sql.lock_key, "wake": sql.wake_channel, "origin": origin}
        if sql.batched:
            keys = [key for message_keys, _ in messages for key in message_keys]
            payloads = [payload for message_keys, payload in messages for _ in message_keys]
            rows, _ = await self._runner.rows(*sql.publish, parameters={**common, "keys": keys, "payloads": payloads})
            ids = range(int(rows[0][1]), int(rows[0][2]) + 1) if rows else None
            return ids if ids is not None and len(ids) == len(keys) else None
        steps = [
            (statement, {**common, "keys": sql.bind_keys(keys), "payload": payload})
            for keys, payload in messages
            for statement in sql.publish
        ]
        await self._runner.steps(steps, large_value="payload")
        return None

    async def max_id(self) -> int:
        """The id of the newest message (0 when there is none)."""
        rows, _ = await self._runner.rows(self.sql.max_id)
        return int(rows[0][0])

    async def poll(self, after: int, keys: list[str], limit: int) -> list[tuple[int, str, bytes | None]]:
        """Messages after id ``after``, oldest first: ``(id, key, payload)``, the payload ``None`` unless wanted."""
        parameters = {"after": after, "keys": self.sql.bind_keys(keys), "limit": limit}
        rows, _ = await self._runner.rows(self.sql.poll, parameters=parameters)
        return [(int(row[0]), str(row[1]), await read_bytes_async(row[2]) if row[3] else None) for row in rows]

    async def history(self, key: str, limit: int) -> list[bytes]:
        """The newest ``limit`` payloads of ``key``, oldest first."""
        rows, _ = await self._runner.rows(self.sql.history, parameters={"key": key, "limit": limit})
        return [await read_bytes_async(row[0]) for row in reversed(rows)]

    async def prune(self, keep: int, cutoff: float, limit: int) -> int:
        """Delete up to ``limit`` messages older than ``cutoff`` beyond the newest ``keep`` of their channel."""
        parameters = {"keep": keep, "cutoff": cutoff, "limit": limit}
        if self._runner.reports_rowcount:
            _, deleted = await self._runner.rows(self.sql.prune, parameters=parameters)
            return deleted
        # drivers without a row count (ADBC, psqlpy) count the rows the statement returns
        rows, _ = await self._runner.rows(self.sql.prune + " RETURNING 1", parameters=parameters)
        return len(rows)

    async def largest_packet(self) -> int:
        """The largest statement the server takes, in bytes (only where the dialect has ``largest_packet``)."""
        rows, _ = await self._runner.rows(self.sql.largest_packet)
        return int(rows[0][0])

    async def table_exists(self) -> bool:
        """Whether the table exists."""
        rows, _ = await self._runner.rows(self.sql.table_exists, parameters={"table": self.sql.table})
        return bool(rows and rows[0][0])

    async def create_table(self) -> None:
        """Create the table and its index if they do not exist."""
        await self._runner.rows(*self.sql.create_table)

    async def drop_table(self) -> None:
        """Drop the table (and what it needs besides itself) if it exists."""
        await self._runner.rows(*self.sql.drop_table)


async def listen_forever_async(
    config: AsyncAnyConfig, sql: ChannelStatements, *, label: str, listening: Listening
) -> None:
    """Hold a connection of its own LISTENing to the table's wake-up channel until ``listening.stopping()``.

    A lost connection is logged, waited out (backoff up to 2 s) and replaced, and ``listening.on_wake`` is called after
    each loss so that readers catch up from the table. How a driver listens is its entry's ``listen`` (``_drivers``).
    """
    listen = driver_for(config).listen
    if listen is None:
        msg = f"{label}: this driver cannot LISTEN; its readers poll"
        raise TypeError(msg)
    delay = FIRST_BACKOFF_SECONDS
    while not listening.stopping():
        try:
            await listen(config, sql.wake_channel, listening)
        except Exception:
            logger.warning("%s: the channels listener failed; listening again in %.2f s", label, delay, exc_info=True)
        listening.on_wake()
        if listening.stopping():
            return
        await asleep(delay)
        delay = min(delay * 2, LONGEST_BACKOFF_SECONDS)
