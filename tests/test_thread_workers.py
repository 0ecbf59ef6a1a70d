"""The worker threads that run a sync config's store operations off the event loop."""

import asyncio
import threading
import time

import anyio
import pytest

from litestar_sqlspec._compat_sync import ThreadWorkers
from tests.flavour_async import eventually


def threads_named(prefix: str) -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith(prefix)]


async def test_operations_run_off_the_loop_and_errors_reach_the_caller() -> None:
    workers = ThreadWorkers(2, "test-workers")
    loop_thread = threading.get_ident()
    assert await workers.run(threading.get_ident) != loop_thread

    def fail() -> None:
        msg = "boom"
        raise LookupError(msg)

    with pytest.raises(LookupError, match="boom"):
        await workers.run(fail)


async def test_a_burst_uses_at_most_the_given_threads_and_they_exit_when_idle() -> None:
    workers = ThreadWorkers(3, "burst-workers", idle_seconds=0.2)
    running = 0
    peak = 0
    lock = threading.Lock()

    def hold() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1

    async with anyio.create_task_group() as group:
        for _ in range(30):
            group.start_soon(workers.run, hold)
    assert peak == 3
    assert len(threads_named("burst-workers")) == 3
    assert await eventually(lambda: not threads_named("burst-workers"))
    assert await workers.run(lambda: 42) == 42  # and they start again on demand


async def test_a_cancelled_caller_abandons_the_result_and_the_threads_carry_on() -> None:
    workers = ThreadWorkers(1, "test-workers")
    started = threading.Event()
    release = threading.Event()

    def blocked() -> str:
        started.set()
        release.wait(5)
        return "late"

    task = asyncio.ensure_future(workers.run(blocked))
    await anyio.to_thread.run_sync(started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    assert await workers.run(lambda: "next") == "next"


def test_results_for_a_closed_event_loop_are_dropped() -> None:
    workers = ThreadWorkers(1, "test-workers")
    release = threading.Event()

    async def start_and_leave() -> asyncio.Future[bool]:
        left = asyncio.ensure_future(workers.run(release.wait, 5))
        await asyncio.sleep(0.05)
        return left

    left = asyncio.run(start_and_leave())  # the loop closes while the operation still runs
    assert left.cancelled()
    release.set()
    assert asyncio.run(workers.run(lambda: "fine")) == "fine"
