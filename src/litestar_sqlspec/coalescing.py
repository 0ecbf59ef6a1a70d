"""Concurrent calls of one kind, run together: the store's batched operations and the channels' group commit.

A call runs on its own while fewer than ``slots`` calls of its kind are in flight (a sequential caller pays nothing
extra). Beyond that, callers queue, and the next free slot takes every queued call (up to a limit) as one batch: one
statement, one commit, one round trip for all of them, in the order they were called.
"""

import asyncio
import collections
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ("Coalescer",)

Item = TypeVar("Item")
Result = TypeVar("Result")


class _LoopState(Generic[Item, Result]):
    """What a coalescer tracks on one event loop."""

    __slots__ = ("drains", "running", "waiting")

    def __init__(self) -> None:
        self.running = 0
        self.waiting: collections.deque[tuple[Item, asyncio.Future[Result]]] = collections.deque()
        self.drains: set[asyncio.Task[None]] = set()


class Coalescer(Generic[Item, Result]):
    """Runs ``one(item)`` per call, or ``many(items)`` for calls that queued while every slot was busy.

    Args:
        one: runs a single call.
        many: runs queued calls together; returns one result per item, in order.
        slots: calls (or batches) of this kind in flight at once before callers queue.
        most: the most items in one batch.
        weight: an item's share of ``most_weight`` (its size in bytes, say); a batch takes no further item once full.
        most_weight: the most weight in one batch (``None``: no limit).
        name: names the tasks that run batches.
    """

    __slots__ = ("_last", "_loops", "_many", "_most", "_most_weight", "_name", "_one", "_slots", "_weight")

    def __init__(
        self,
        one: Callable[[Item], Awaitable[Result]],
        many: Callable[[list[Item]], Awaitable[list[Result]]],
        *,
        slots: int,
        most: int,
        weight: Callable[[Item], int] | None = None,
        most_weight: int | None = None,
        name: str,
    ) -> None:
        self._one = one
        self._many = many
        self._slots = max(1, slots)
        self._most = most
        self._weight = weight
        self._most_weight = most_weight
        self._name = name
        # per event loop: a store used from several loops (Litestar's CLI runs its own) keeps their calls apart
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState[Item, Result]]
        self._loops = weakref.WeakKeyDictionary()
        self._last: tuple[asyncio.AbstractEventLoop, _LoopState[Item, Result]] | None = None

    async def __call__(self, item: Item) -> Result:
        """Run ``item`` alone or, when every slot is busy, in the next batch; return its result."""
        loop = asyncio.get_running_loop()
        state = self._state(loop)
        if state.running >= self._slots:
            done: asyncio.Future[Result] = loop.create_future()
            state.waiting.append((item, done))
            return await done
        state.running += 1
        try:
            return await self._one(item)
        finally:
            if state.waiting:  # the slot goes on serving those who queued meanwhile
                drain = loop.create_task(self._drain(state), name=self._name)
                state.drains.add(drain)
                drain.add_done_callback(state.drains.discard)
            else:
                state.running -= 1

    def _state(self, loop: asyncio.AbstractEventLoop) -> _LoopState[Item, Result]:
        last = self._last
        if last is not None and last[0] is loop:  # the usual case: the same loop as last time
            return last[1]
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _LoopState()
        self._last = (loop, state)  # a strong reference to one loop at most, replaced when another one calls
        return state

    def batches_in_flight(self) -> list["asyncio.Task[None]"]:
        """The tasks running queued calls on the current event loop (to wait for at shutdown)."""
        state = self._loops.get(asyncio.get_running_loop())
        return list(state.drains) if state is not None else []

    async def _drain(self, state: _LoopState[Item, Result]) -> None:
        try:
            while state.waiting:
                batch = self._take(state)
                if not batch:
                    continue
                try:
                    results = await self._many([item for item, _ in batch])
                except Exception as exc:  # noqa: BLE001 - every caller of the batch gets its error
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                except BaseException:  # cancelled (at shutdown): its callers must not wait forever
                    for _, done in batch:
                        done.cancel()
                    raise
                else:
                    for (_, done), result in zip(batch, results, strict=True):
                        if not done.done():
                            done.set_result(result)
        finally:
            state.running -= 1
            while state.waiting:  # only when cancelled (at shutdown): nobody will run these
                _, done = state.waiting.popleft()
                done.cancel()

    def _take(self, state: _LoopState[Item, Result]) -> list[tuple[Item, "asyncio.Future[Result]"]]:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        weight = 0
        while state.waiting and len(batch) < self._most:
            if self._most_weight is not None and weight >= self._most_weight:
                break
            item, done = state.waiting.popleft()
            if done.cancelled():  # its caller gave up before it went out
                continue
            batch.append((item, done))
            if self._weight is not None:
                weight += self._weight(item)
        return batch
