"""``SQLSpecChannelsBackend``: a broadcast Litestar ``ChannelsBackend`` on a table of the app's own database.

The table is the truth: every message gets a monotonic id, and each backend instance (one per process, typically)
reads the table after the last id it has seen, so every subscribed process receives every message once, in publish
order, including those published while it was disconnected. How a reader learns that there is something to read is the
dialect's business (``channel_dialects.py``): PostgreSQL's NOTIFY, the SQLite file changing, or adaptive polling
(Oracle, MySQL); a publish in the same process wakes its readers at once (on DuckDB, whose database one process holds,
that is all there is, with a slow safety poll). Nothing here raises out of ``publish`` or ``stream_events`` on
a database error: it is logged, waited out, and the reader catches up from the table.
"""

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Iterable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
from litestar.channels.backends.base import ChannelsBackend
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import _compat_async, _compat_sync
from litestar_sqlspec._async.channel_ops import (
    FIRST_BACKOFF_SECONDS,
    LONGEST_BACKOFF_SECONDS,
    AsyncChannelOps,
    listen_forever_async,
)
from litestar_sqlspec._drivers import Listening, driver_for, sql_dialect_of
from litestar_sqlspec._sync.channel_ops import SyncChannelOps, listen_forever_sync
from litestar_sqlspec.channel_dialects import ChannelStatements, channel_statements_for, one_process_database
from litestar_sqlspec.coalescing import Coalescer
from litestar_sqlspec.schema import create_table_racing
from litestar_sqlspec.settings import config_label, extension_options, table_or_refuse
from litestar_sqlspec.standalone_pool import PoolUse

__all__ = ("DEFAULT_CHANNELS_TABLE", "DEFAULT_HISTORY", "DEFAULT_RETENTION_SECONDS", "SQLSpecChannelsBackend")

logger = logging.getLogger("litestar_sqlspec.channels")

DEFAULT_CHANNELS_TABLE = "litestar_channels"
DEFAULT_HISTORY = 0
"""Messages kept per channel whatever their age, by default."""
DEFAULT_RETENTION_SECONDS = 60.0
"""Seconds a message is kept for lagging subscribers, by default."""
_BATCH = 500
_PUBLISH_BATCH = 500
"""The most messages one group commit takes."""
_PUBLISH_BATCH_BYTES = 8 * 1024 * 1024
"""A group commit takes no further message once its rows hold this many payload bytes."""
_FILE_CHECK_SECONDS = 0.01
_FASTEST_POLL_SECONDS = 0.005
_NOTIFY_SAFETY_POLL_SECONDS = 5.0
"""The longest pause between reads where readers are woken: by NOTIFY, or (DuckDB) by this process's publishes."""
_LISTEN_CHECK_SECONDS = 0.25
_STARTUP_LISTEN_TIMEOUT = 10.0
_SHUTDOWN_GRACE_SECONDS = 0.3
_STATEMENT_ROOM = 64 * 1024
"""Bytes of a publishing statement besides its payload (the SQL, the keys), where the server limits statements."""

# Backends of this process on one table, so that a publish wakes the readers next to it at once.
_NEIGHBOURS: dict[tuple[str, str], "weakref.WeakSet[SQLSpecChannelsBackend]"] = {}


# The writers' lock of each database that this process alone opens (DuckDB), by database: a second connection's write
# fails on a conflict instead of waiting, and ids from its sequence could commit out of order.
_ONE_PROCESS_WRITERS: dict[str, threading.Lock] = {}

T = TypeVar("T")


def _holding(lock: threading.Lock, operation: Callable[..., T]) -> Callable[..., T]:
    """``operation`` (a sync one, run in a worker thread), run while that thread holds ``lock``."""

    def run(*args: Any) -> T:
        with lock:
            return operation(*args)

    return run


# This process's token in the wake-ups it sends, by process id (a forked child makes its own).
_ORIGINS: dict[int, str] = {}


def _origin() -> str:
    """This process's token: its listeners skip wake-ups carrying it, since its publishes wake its readers directly."""
    pid = os.getpid()
    return _ORIGINS.get(pid) or _ORIGINS.setdefault(pid, f"{pid}-{secrets.token_hex(8)}")


def _message_bytes(message: tuple[list[str], bytes]) -> int:
    keys, payload = message
    return len(payload) * len(keys)  # one row per channel


def _channel_key(channel: str) -> str:
    return hashlib.sha256(channel.encode("utf-8", "surrogatepass")).hexdigest()


def _database_config(given: Any) -> Any:
    """``given`` when it is a sqlspec database config, else the config of an event channel (sqlspec's backend API)."""
    if hasattr(given, "statement_config") and hasattr(given, "is_async"):
        return given
    inner = getattr(given, "_config", None)
    if hasattr(inner, "statement_config") and hasattr(inner, "is_async"):
        return inner
    msg = f"SQLSpecChannelsBackend needs a sqlspec database config (or an event channel of one), got {given!r}"
    raise TypeError(msg)


def _is_whole(value: object, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _check_options(label: str, history: int, poll_interval: float, max_payload: int, capacity: int | None) -> None:
    if not _is_whole(history, minimum=0):
        msg = f"{label}: history={history!r} is invalid: a whole number of messages of at least 0 is required"
        raise ValueError(msg)
    if _seconds(poll_interval, "poll_interval") <= 0:
        msg = f"{label}: poll_interval={poll_interval!r} is invalid: a positive number of seconds is required"
        raise ValueError(msg)
    if capacity is not None and not _is_whole(capacity, minimum=1):
        msg = f"{label}: output_queue_capacity={capacity!r} is invalid: None or a positive whole number is required"
        raise ValueError(msg)
    if not _is_whole(max_payload, minimum=1):
        msg = f"{label}: max_payload_bytes={max_payload!r} is invalid: a positive whole number is required"
        raise ValueError(msg)


def _seconds(value: float | timedelta, name: str) -> float:
    seconds: object = value.total_seconds() if isinstance(value, timedelta) else value
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        msg = f"{name}={value!r} is invalid: a number of seconds (or a timedelta) of at least 0 is required"
        raise ValueError(msg)
    return float(seconds)


def _wake_mode(sql: ChannelStatements, config: Any, *, can_listen: bool) -> tuple[str, Path | None]:
    """How this backend's readers wake up, and the SQLite file they watch (if they do)."""
    if sql.wake == "notify" and not can_listen:
        return "poll", None  # a driver (or engine: CockroachDB) without LISTEN: readers poll
    if sql.wake == "file":
        file = _sqlite_file(config)
        # an in-memory database: only this process can publish, and it wakes us
        return ("file", file) if file is not None else ("poll", None)
    return sql.wake, None


def _sqlite_file(config: Any) -> Path | None:
    """The SQLite database file of ``config``, or ``None`` for an in-memory database."""
    database = str(config.connection_config.get("database") or config.connection_config.get("uri") or "")
    if database.startswith("file:"):
        database, _, query = database[5:].partition("?")
        if "mode=memory" in query:
            return None
    if not database or database == ":memory:":
        return None
    return Path(database).resolve()


def _file_signature(path: Path) -> tuple[int, ...]:
    signature: list[int] = []
    for candidate in (path, path.with_name(path.name + "-wal")):
        try:
            found = os.stat(candidate)
        except OSError:
            signature.extend((0, 0))
        else:
            signature.extend((found.st_mtime_ns, found.st_size))
    return tuple(signature)


class SQLSpecChannelsBackend(ChannelsBackend):
    """Litestar channels in a table of a sqlspec config's database, for any config (sync or async, pooled or not).

    Args:
        config: the sqlspec database config whose connections the backend uses (an event channel of sqlspec's events
            extension, as sqlspec's own backend takes, is accepted too: its config is used).
        table_name: the messages table; default ``extension_config["litestar"]["channels_table"]`` or
            ``"litestar_channels"``.
        history: messages kept per channel for ``get_history`` (0: none), also for channels nobody subscribes to.
        poll_interval: the longest pause, in seconds, between two reads of the table when the database cannot notify
            readers (Oracle, MySQL/MariaDB) and nothing arrives; readers poll faster while messages flow.
        retention: how long a message stays readable for subscribers that lag or reconnect (seconds or timedelta);
            older messages beyond the newest ``history`` of their channel are deleted in batches.
        max_payload_bytes: the largest payload ``publish`` accepts (on MySQL/MariaDB at most half the server's
            ``max_allowed_packet``, less 64 KiB: lowered to that at startup).
        synchronous_commit: ``False`` lets a publish return before its commit is flushed to disk (PostgreSQL's
            ``synchronous_commit = off`` for the publishing transaction only): messages are delivered and ordered as
            before, publishing is faster, and a crash of the database server can lose the last fraction of a
            second of messages (as Redis does by default). Other dialects ignore it.
        channel_prefix: accepted for compatibility with sqlspec's backend; channel names need no prefix here.
        output_queue_capacity: bound the events waiting for ``stream_events``; beyond it, events are dropped (and
            counted in ``dropped_message_count``). ``None``: unbounded.
    """

    def __init__(
        self,
        config: Any,
        *,
        table_name: str | None = None,
        history: int = DEFAULT_HISTORY,
        poll_interval: float = 1.0,
        retention: float | timedelta = DEFAULT_RETENTION_SECONDS,
        max_payload_bytes: int = 16 * 1024 * 1024,
        synchronous_commit: bool = True,
        channel_prefix: str = "litestar",
        output_queue_capacity: int | None = None,
    ) -> None:
        config = _database_config(config)
        label = config_label(config)
        _check_options(label, history, poll_interval, max_payload_bytes, output_queue_capacity)
        options = extension_options(config)
        table = table_or_refuse(config, "channels_table", DEFAULT_CHANNELS_TABLE, table_name)
        self.config = config
        self.table_name = table
        self.history = history
        self.poll_interval = float(poll_interval)
        self.retention = _seconds(retention, "retention")
        self.max_payload_bytes = max_payload_bytes
        self._largest_payload = max_payload_bytes
        self._packet_limit: int | None = None
        self.channel_prefix = channel_prefix
        self._capacity = output_queue_capacity or 0
        self._dropped = 0
        self._label = label
        driver = driver_for(config)
        self._sql: ChannelStatements = channel_statements_for(
            config,
            table,
            dialect=sql_dialect_of(config),
            synchronous_commit=synchronous_commit,
            bytea_arrays=driver.binds_bytea_arrays,
        )
        self._create_missing = bool(options.get("create_schema", True))
        if config.is_async:
            self._ops: Any = AsyncChannelOps(config, self._sql)
            self._run: Any = _compat_async.run
        else:
            self._ops = SyncChannelOps(config, self._sql)
            self._run = _compat_sync.workers_for(config, single_writer=self._sql.facts.single_writer).run
        self._pool = PoolUse(config, self._run)
        self._publish_op: Callable[..., Any] = self._ops.publish
        self._prune_op: Callable[..., Any] = self._ops.prune
        if self._sql.wake == "process" and not config.is_async:
            lock = _ONE_PROCESS_WRITERS.setdefault(one_process_database(config, label), threading.Lock())
            self._publish_op, self._prune_op = _holding(lock, self._ops.publish), _holding(lock, self._ops.prune)
        self._lifetime: Any = None
        self._wake_mode, self._file = _wake_mode(self._sql, config, can_listen=driver.listen is not None)
        self._neighbourhood = (self._sql.facts.name, self._sql.table.lower())
        self._names: dict[str, str] = {}
        self._from: dict[str, int] = {}
        self._cursor: int | None = None
        self._queue: asyncio.Queue[tuple[str, bytes]] | None = None
        self._wake: asyncio.Event | None = None
        self._listening: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = threading.Event()
        self._last_prune = 0.0
        # group commit: publishes made while one is being committed go out together, in call order
        self._publishing: Coalescer[tuple[list[str], bytes], None] = Coalescer(
            self._commit_one,
            self._commit_many,
            slots=1,
            most=_PUBLISH_BATCH,
            weight=_message_bytes,
            most_weight=_PUBLISH_BATCH_BYTES,
            name=f"{label} channels publisher",
        )

    # lifecycle

    async def on_startup(self) -> None:
        """Open the pool if no app opened it, make sure the table exists, and start reading."""
        self._stopping.clear()
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue(self._capacity)
        self._wake = asyncio.Event()
        self._listening = asyncio.Event()
        self._lifetime = self._pool.held()  # the app's pool, or one opened until on_shutdown
        await self._lifetime.__aenter__()
        try:
            await self._ensure_table()
            if self._sql.largest_packet:
                await self._learn_largest_payload()
        except BaseException:
            lifetime, self._lifetime = self._lifetime, None
            await lifetime.__aexit__(None, None, None)
            raise
        _NEIGHBOURS.setdefault(self._neighbourhood, weakref.WeakSet()).add(self)
        self._tasks = [asyncio.create_task(self._read_forever(), name=f"{self._label} channels reader")]
        if self._wake_mode == "notify":
            await self._start_listener()

    async def on_shutdown(self) -> None:
        """Stop reading and listening (promptly: nothing waits for the database), and close a pool it opened."""
        self._stopping.set()
        neighbours = _NEIGHBOURS.get(self._neighbourhood)
        if neighbours is not None:
            neighbours.discard(self)
        self._wake_up()
        tasks = [*self._tasks, *self._publishing.batches_in_flight()]
        if tasks:
            # A read or a group commit in flight finishes first (a sync driver's cannot be cancelled midway); then
            # stop for good.
            await asyncio.wait(tasks, timeout=_SHUTDOWN_GRACE_SECONDS)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        lifetime, self._lifetime = self._lifetime, None
        if lifetime is not None:
            try:
                await lifetime.__aexit__(None, None, None)
            except Exception:
                logger.warning("%s: closing the channels backend's pool failed", self._label, exc_info=True)

    async def _ensure_table(self) -> None:
        if await self._run(self._ops.table_exists):
            return
        if not self._create_missing:
            msg = (
                f"{self._label}: the channels table {self._sql.table!r} does not exist; create it with "
                "`await backend.create_table()` or with `litestar database upgrade`, or allow "
                'extension_config["litestar"]["create_schema"]'
            )
            raise ImproperConfigurationError(msg)
        await create_table_racing(self._run, self._ops)

    async def _learn_largest_payload(self) -> None:
        """Lower the payload limit to what the server takes (MySQL): a payload it refuses would be retried forever."""
        packet = int(await self._run(self._ops.largest_packet))
        fits = (packet - _STATEMENT_ROOM) // 2  # PyMySQL sends bytes as hex
        if fits < self.max_payload_bytes:
            self._largest_payload, self._packet_limit = max(fits, 0), packet

    async def prune(self) -> int:
        """Delete the messages older than ``retention`` beyond the newest ``history`` of their channel; how many."""
        deleted = 0
        async with self._pool.held():  # one pool for every batch, not one per batch, outside an app
            while True:
                batch: int = await self._run(self._prune_op, self.history, time.time() - self.retention, _BATCH)
                deleted += batch
                if batch < _BATCH:
                    return deleted

    async def create_table(self) -> None:
        """Create the messages table and its index if they do not exist."""
        async with self._pool.held():
            await create_table_racing(self._run, self._ops)

    async def drop_table(self) -> None:
        """Drop the messages table if it exists."""
        await self._call(self._ops.drop_table)

    async def _call(self, function: Any, *args: Any) -> Any:
        if self._pool.ready():  # the hot path: inside a running app
            return await self._run(function, *args)
        async with self._pool.held():
            return await self._run(function, *args)

    # the ChannelsBackend contract

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        """Append ``data`` to each of ``channels``; every subscribed process receives it once.

        Returns once the message is committed. Publishes made while another is being committed go out together in
        the next transaction (group commit): concurrent publishers share commits, in the order they called. A
        database error is logged and retried (with backoff) until it succeeds or the backend shuts down: Litestar's
        publish worker dies on an exception.

        Raises:
            TypeError: when ``data`` is not bytes or a channel is not a string.
            ValueError: when ``data`` is larger than ``max_payload_bytes`` (or, on MySQL, than half the server's
                ``max_allowed_packet``, learnt at startup).
        """
        given: object = data
        if not isinstance(given, bytes | bytearray | memoryview):
            msg = f"{self._label}: channel payloads are bytes, got {type(given).__name__}"
            raise TypeError(msg)
        payload = bytes(given)
        if len(payload) > self._largest_payload:
            limit = f"max_payload_bytes ({self.max_payload_bytes})"
            if self._packet_limit is not None:
                limit = (
                    f"what the server takes ({self._largest_payload} bytes: half its max_allowed_packet of "
                    f"{self._packet_limit}, less room for the statement)"
                )
            msg = f"{self._label}: a payload of {len(payload)} bytes is larger than {limit}"
            raise ValueError(msg)
        keys = []
        for channel in channels:
            name: object = channel
            if not isinstance(name, str):
                msg = f"{self._label}: channel names are strings, got {name!r}"
                raise TypeError(msg)
            keys.append(_channel_key(name))
        if not keys:
            return
        await self._publishing((keys, payload))

    async def _commit_one(self, message: tuple[list[str], bytes]) -> None:
        await self._commit([message])

    async def _commit_many(self, messages: list[tuple[list[str], bytes]]) -> list[None]:
        await self._commit(messages)
        return [None] * len(messages)

    async def _commit(self, messages: list[tuple[list[str], bytes]]) -> None:
        """Commit ``messages`` together, retrying database errors with backoff; then wake the readers next door."""
        delay = FIRST_BACKOFF_SECONDS
        while True:
            try:
                # Shielded: a publish whose caller is cancelled still ends its transaction (it may be committing in a
                # worker thread already), so the next publish neither overtakes it nor finds its connection mid-write.
                with anyio.CancelScope(shield=True):
                    ids: range | None = await self._call(self._publish_op, messages, time.time(), _origin())
                break
            except Exception:
                if self._stopping.is_set():
                    logger.exception(
                        "%s: publishing failed while shutting down; %d message(s) dropped", self._label, len(messages)
                    )
                    return
                logger.warning("%s: publishing failed; retrying in %.2f s", self._label, delay, exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, LONGEST_BACKOFF_SECONDS)
        for neighbour in list(_NEIGHBOURS.get(self._neighbourhood, ())):
            if ids is None or not neighbour._take(ids, messages):
                neighbour._wake_up_from_anywhere()

    async def subscribe(self, channels: Iterable[str]) -> None:
        """Start receiving ``channels``: every message published after this returns is delivered."""
        fresh = {_channel_key(channel): channel for channel in channels if _channel_key(channel) not in self._names}
        if not fresh:
            return
        start = await self._call(self._ops.max_id)
        for key, channel in fresh.items():
            self._from[key] = start
            self._names[key] = channel
        if self._cursor is None:
            self._cursor = start
        self._wake_up()

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        """Stop receiving ``channels``; events of them are not yielded any more."""
        for channel in channels:
            key = _channel_key(channel)
            self._names.pop(key, None)
            self._from.pop(key, None)
        if not self._names:
            self._cursor = None

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        """Yield ``(channel, payload)`` for every message of a subscribed channel, in publish order per channel."""
        if self._queue is None:
            msg = f"{self._label}: the channels backend has not started (on_startup was not called)"
            raise RuntimeError(msg)
        queue = self._queue
        while True:
            key, payload = await queue.get()
            channel = self._names.get(key)
            if channel is not None:
                yield channel, payload

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        """The newest messages of ``channel`` (at most ``limit``, and at most ``history``), oldest first."""
        count = self.history if limit is None else min(limit, self.history)
        if count <= 0:
            return []
        history: list[bytes] = await self._call(self._ops.history, _channel_key(channel), count)
        return history

    # reading

    def _wake_up(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _wake_up_from_anywhere(self) -> None:
        """``_wake_up``, also when called from another event loop or thread than the backend's."""
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or loop is running:
            self._wake_up()
        else:
            self._threadsafe(self._wake_up)()

    def _take(self, ids: range, messages: list[tuple[list[str], bytes]]) -> bool:
        """Deliver messages this process has just committed, as rows ``ids``, without reading them back.

        Only when nothing unread comes before them (the cursor is right below them) and on the backend's own loop;
        otherwise (``False``) the reader reads them from the table.
        """
        if self._cursor is None or self._cursor != ids.start - 1 or self._loop is not asyncio.get_running_loop():
            return False
        rows = iter(ids)
        for keys, payload in messages:
            for key in keys:
                row_id = next(rows)
                if key in self._names and row_id > self._from.get(key, row_id):
                    self._deliver(key, payload)
        self._cursor = ids[-1]
        return True

    def _threadsafe(self, callback: Callable[[], None]) -> Callable[[], None]:
        """``callback``, callable from another thread: it runs on the backend's event loop (if still open)."""
        loop = self._loop

        def call() -> None:
            if loop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(callback)

        return call

    async def _read_forever(self) -> None:
        assert self._wake is not None
        wake = self._wake
        pause = _FASTEST_POLL_SECONDS
        signature = _file_signature(self._file) if self._file is not None else ()
        failures = 0
        while True:
            if self._wake_mode == "file":
                # the file is watched for subscribers; with none, only pruning is due (subscribe wakes this up)
                timeout = _FILE_CHECK_SECONDS if self._names else self.poll_interval
            elif self._wake_mode in ("notify", "process"):
                timeout = _NOTIFY_SAFETY_POLL_SECONDS
            else:
                timeout = pause
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await wake.wait()
            if self._stopping.is_set():
                return
            woken = wake.is_set()
            wake.clear()
            if self._file is not None and not woken:
                current = _file_signature(self._file)
                if current == signature:
                    continue
                signature = current
            try:
                await self._prune_now_and_then()
                found = await self._read() if self._names else 0
            except Exception:
                failures += 1
                delay = min(FIRST_BACKOFF_SECONDS * 2**failures, LONGEST_BACKOFF_SECONDS)
                logger.warning(
                    "%s: reading channel messages failed; again in %.2f s", self._label, delay, exc_info=True
                )
                await asyncio.sleep(delay)
                wake.set()
                continue
            failures = 0
            pause = _FASTEST_POLL_SECONDS if found else min(pause * 2, self.poll_interval)

    async def _read(self) -> int:
        """Deliver what was published since the cursor; return how many rows were read."""
        assert self._queue is not None
        assert self._wake is not None
        cursor = self._cursor
        if cursor is None:
            return 0
        rows = await self._run(self._ops.poll, cursor, list(self._names), _BATCH)
        if self._cursor is None:  # everything was unsubscribed meanwhile
            return len(rows)
        for row_id, key, payload in rows:
            if row_id <= self._cursor:
                continue  # delivered meanwhile by a publish of this process (``_take``)
            if key in self._names and row_id > self._from.get(key, row_id):
                if payload is None:  # subscribed after the read was sent: read again from this row
                    self._cursor = row_id - 1
                    self._wake.set()
                    return len(rows)
                self._deliver(key, payload)
            self._cursor = row_id
        if len(rows) == _BATCH:
            self._wake.set()
        return len(rows)

    def _deliver(self, key: str, payload: bytes) -> None:
        assert self._queue is not None
        try:
            self._queue.put_nowait((key, payload))
        except asyncio.QueueFull:
            self._dropped += 1
            logger.warning("%s: the event queue is full (output_queue_capacity); a message is dropped", self._label)

    @property
    def output_queue_depth(self) -> int:
        """How many events wait for ``stream_events``."""
        return self._queue.qsize() if self._queue is not None else 0

    @property
    def dropped_message_count(self) -> int:
        """How many events were dropped because the queue was full (see ``output_queue_capacity``)."""
        return self._dropped

    async def _prune_now_and_then(self) -> None:
        now = time.time()
        if now - self._last_prune < max(self.retention / 2, 1.0):
            return
        self._last_prune = now
        await self.prune()

    # listening (PostgreSQL)

    async def _start_listener(self) -> None:
        assert self._listening is not None
        if self.config.is_async:
            listening = Listening(
                self._wake_up, self._set_listening, self._stopping.is_set, _NOTIFY_SAFETY_POLL_SECONDS, _origin()
            )
            listener = listen_forever_async(self.config, self._sql, label=self._label, listening=listening)
            self._tasks.append(asyncio.create_task(listener, name=f"{self._label} channels listener"))
        else:
            listening = Listening(
                self._threadsafe(self._wake_up),
                self._threadsafe(self._set_listening),
                self._stopping.is_set,
                _LISTEN_CHECK_SECONDS,
                _origin(),
            )
            listen = partial(listen_forever_sync, self.config, self._sql, label=self._label, listening=listening)
            threading.Thread(target=listen, name="litestar-sqlspec-listener", daemon=True).start()
        try:
            async with asyncio.timeout(_STARTUP_LISTEN_TIMEOUT):
                await self._listening.wait()
        except TimeoutError:
            logger.warning("%s: the channels listener is not listening yet; reading every few seconds", self._label)

    def _set_listening(self) -> None:
        if self._listening is not None:
            self._listening.set()
        self._wake_up()  # catch up on what was published while nobody listened
