"""The sync flavour's shim: what differs for sync configs, whose calls block.

Every blocking call of a sync driver runs in a worker thread, never on the event loop.
"""

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

from litestar_sqlspec.pool_facts import forget_large_result, kept_cursor, worker_threads

__all__ = (
    "Lock",
    "ThreadWorkers",
    "autocommit_on_sync",
    "create_blob_sync",
    "execute_sync",
    "executemany_sync",
    "read_bytes_sync",
    "restore_mode_sync",
    "run",
    "sleep",
    "workers_for",
)

T = TypeVar("T")

Lock = threading.Lock
"""A lock for threads (twin of ``ALock``)."""

sleep = time.sleep
"""Sleep, blocking this thread (twin of ``asleep``)."""


async def run(function: Callable[..., T], /, *args: Any) -> T:
    """Run one database operation of a sync config in a worker thread."""
    return await anyio.to_thread.run_sync(function, *args)


class ThreadWorkers:
    """Up to ``threads`` worker threads that run self-contained operations for the event loop.

    Leaner than an executor (no per-call future chain): a burst of calls costs one queue put and one loop wake-up per
    operation, and a busy thread takes the next operation without sleeping. Threads start on demand and exit after
    ``idle_seconds`` without work, so an abandoned store leaves no thread behind. For operations that give their
    connection back before they return: a cancelled caller abandons the result, never a connection.
    """

    __slots__ = ("_idle_seconds", "_lock", "_name", "_pending", "_queue", "_started", "_threads")

    def __init__(self, threads: int, name: str, idle_seconds: float = 10.0) -> None:
        self._threads = threads
        self._name = name
        self._idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[tuple[asyncio.Future[Any], Callable[..., Any], tuple[Any, ...]]]
        self._queue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = 0
        self._pending = 0  # operations queued or running: a thread is started while they outnumber the threads

    async def run(self, function: Callable[..., T], /, *args: Any) -> T:
        """Run ``function(*args)`` in one of the threads and return its result."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put((future, function, args))
        with self._lock:
            self._pending += 1
            if self._pending > self._started and self._started < self._threads:
                self._started += 1
                threading.Thread(target=self._work, name=f"{self._name}-{self._started}", daemon=True).start()
        return await future

    def _work(self) -> None:
        while True:
            try:
                future, function, args = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    # an operation queued after this check finds one thread fewer, and starts one
                    if self._queue.empty():
                        self._started -= 1
                        return
                continue
            try:
                if not future.cancelled():
                    _run_into(future, function, args)
            finally:
                with self._lock:
                    self._pending -= 1


def _run_into(future: "asyncio.Future[Any]", function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result = function(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, whatever it is
        _settle(future, _set_exception, exc)
    else:
        _settle(future, _set_result, result)


_WORKERS_OF: "weakref.WeakKeyDictionary[Any, ThreadWorkers]" = weakref.WeakKeyDictionary()
_WORKERS_LOCK = threading.Lock()


def workers_for(config: Any, *, single_writer: bool) -> ThreadWorkers:
    """The worker threads that run ``config``'s store and channels operations: one set per config, shared by both.

    As many as ``pool_facts.worker_threads`` says: on SQLite and DuckDB (``single_writer``) every write of the store,
    its cleaner and the channels backend then goes through one thread, with no lock contention between them. A config
    that cannot be weakly referenced (some of sqlspec's compiled configs) gets a set of its own per caller.
    """
    with _WORKERS_LOCK:
        try:
            workers = _WORKERS_OF.get(config)
        except TypeError:
            workers = None
        else:
            if workers is not None:
                return workers
        workers = ThreadWorkers(worker_threads(config, single_writer=single_writer), "litestar-sqlspec-workers")
        with contextlib.suppress(TypeError):
            _WORKERS_OF[config] = workers
        return workers


def _settle(future: "asyncio.Future[Any]", setter: Callable[[Any, Any], None], value: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the caller's event loop is closed: nobody waits for the result
        future.get_loop().call_soon_threadsafe(setter, future, value)


def _set_result(future: "asyncio.Future[Any]", result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception(future: "asyncio.Future[Any]", exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


def autocommit_on_sync(connection: Any) -> Any:
    """Put ``connection`` in autocommit mode, without I/O; return the mode that ``restore_mode_sync`` puts back.

    psycopg switches ``autocommit`` (the mode is ``False``); sqlite3's ``isolation_level`` becomes ``None`` when no
    transaction is open (the mode is the level it had): a single statement then commits itself. ``None``: nothing to
    put back (already in autocommit, or no switch: the caller commits). mysql-connector's mode is read and set by
    queries: it is left as it is.
    """
    if isinstance(connection, sqlite3.Connection):
        level = connection.isolation_level
        if level is None or connection.in_transaction:  # switching inside a transaction would commit it
            return None
        connection.isolation_level = None
        return level
    if type(connection).__module__.startswith("mysql.connector"):
        return None
    mode = getattr(connection, "autocommit", None)
    if not isinstance(mode, bool) or mode:
        return None
    connection.autocommit = True
    return False


def restore_mode_sync(connection: Any, mode: Any) -> None:
    """Put back the mode ``autocommit_on_sync`` returned (``None``: nothing to do)."""
    if isinstance(mode, bool):
        connection.autocommit = mode
    elif mode is not None:
        connection.isolation_level = mode


def read_bytes_sync(value: Any) -> bytes:
    """A fetched binary value as bytes: a LOB is read; NULL (how Oracle stores an empty BLOB) is ``b""``."""
    if value is None:
        return b""
    read = getattr(value, "read", None)
    return bytes(read() if read is not None else value)


def create_blob_sync(connection: Any, data: bytes) -> Any:
    """A temporary BLOB holding ``data``, to bind values larger than Oracle's 32 KB RAW limit."""
    import oracledb  # noqa: PLC0415 - only Oracle configs get here

    return connection.createlob(oracledb.DB_TYPE_BLOB, data)


def execute_sync(connection: Any, statement: str, parameters: Any) -> tuple[list[Any], int]:
    """Run one statement on a raw DB-API connection; return its rows and row count."""
    if hasattr(connection, "pgconn"):
        # psycopg: the connection's kept cursor, and ``rownumber`` tells cheaply whether rows came back
        cursor = kept_cursor(connection)
        cursor.execute(statement, parameters)
        if cursor.rownumber is None:
            return [], int(cursor.rowcount)
        rows = list(cursor.fetchall())
        forget_large_result(connection, rows)
        return rows, int(cursor.rowcount)
    if isinstance(connection, sqlite3.Connection):
        # sqlite3: one call makes and runs the cursor, whose statement is reset once fetched; no rows is []
        found = connection.execute(statement, parameters)
        return found.fetchall(), int(found.rowcount)
    cursor = connection.cursor()
    try:
        cursor.execute(statement, parameters)
        rows = list(cursor.fetchall()) if cursor.description else []
        return rows, int(cursor.rowcount)
    finally:
        cursor.close()


def executemany_sync(connection: Any, statement: str, parameter_sets: list[Any]) -> None:
    """Run one statement once per parameter set on a raw DB-API connection (no rows come back)."""
    cursor = connection.cursor()
    try:
        cursor.executemany(statement, parameter_sets)
    finally:
        cursor.close()
