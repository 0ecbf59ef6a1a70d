"""The sync flavour's shim: what differs for sync configs, whose calls block.

Every blocking call of a sync driver runs in a worker thread, never on the event loop.
"""

import asyncio
import contextlib
import queue
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread

from litestar_sqlspec.pool_facts import worker_threads

__all__ = (
    "Lock",
    "ThreadWorkers",
    "pool_gate",
    "read_bytes_sync",
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


def pool_gate(pool: Any, size: int) -> threading.BoundedSemaphore:
    """The one gate of ``size`` checkouts at once that every sync user of ``pool`` in this package waits on.

    The twin of ``pool_gate`` for async pools.
    """
    with _GATE_LOCK:
        gate: threading.BoundedSemaphore | None = pool.__dict__.get(_GATE)
        if gate is None:
            gate = pool.__dict__[_GATE] = threading.BoundedSemaphore(size)
        return gate


_GATE = "_litestar_sqlspec_sync_gate"
_GATE_LOCK = threading.Lock()


def read_bytes_sync(value: Any) -> bytes:
    """A fetched binary value as bytes: a LOB is read; NULL (how Oracle stores an empty BLOB) is ``b""``."""
    if value is None:
        return b""
    read = getattr(value, "read", None)
    return bytes(read() if read is not None else value)
