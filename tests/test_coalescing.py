"""The Coalescer: calls run alone while slots are free; beyond that they queue and go out together, in call order."""

import asyncio

import pytest

from litestar_sqlspec.coalescing import Coalescer


class Recorder:
    """``one`` and ``many`` that record what they were given; ``one`` can be held open to fill the slots."""

    def __init__(self) -> None:
        self.alone: list[int] = []
        self.batches: list[list[int]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail_batches = False

    async def one(self, item: int) -> int:
        self.alone.append(item)
        await self.release.wait()
        return item * 10

    async def many(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        await asyncio.sleep(0)
        if self.fail_batches:
            msg = f"batch {items} failed"
            raise RuntimeError(msg)
        return [item * 10 for item in items]


async def _fill_slots_then_call(coalescer: Coalescer[int, int], recorder: Recorder, count: int) -> list[object]:
    recorder.release.clear()
    tasks = [asyncio.create_task(coalescer(item)) for item in range(count)]
    await asyncio.sleep(0.01)  # every task has called: the first ones hold the slots, the rest queue
    recorder.release.set()
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def test_sequential_calls_run_alone() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder.one, recorder.many, slots=1, most=100, name="test")
    assert [await coalescer(item) for item in range(5)] == [0, 10, 20, 30, 40]
    assert recorder.alone == [0, 1, 2, 3, 4]
    assert recorder.batches == []


async def test_calls_beyond_the_slots_go_out_together_in_call_order() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder.one, recorder.many, slots=2, most=100, name="test")
    assert await _fill_slots_then_call(coalescer, recorder, 10) == [item * 10 for item in range(10)]
    assert recorder.alone == [0, 1]
    assert [item for batch in recorder.batches for item in batch] == list(range(2, 10))
    assert len(recorder.batches) <= 2  # one per slot that came free, at most


async def test_batches_respect_the_item_and_weight_limits() -> None:
    recorder = Recorder()
    by_count = Coalescer(recorder.one, recorder.many, slots=1, most=3, name="test")
    await _fill_slots_then_call(by_count, recorder, 8)
    assert recorder.batches == [[1, 2, 3], [4, 5, 6], [7]]
    recorder.batches.clear()
    by_weight = Coalescer(recorder.one, recorder.many, slots=1, most=100, weight=lambda _: 5, most_weight=10, name="t")
    await _fill_slots_then_call(by_weight, recorder, 6)
    assert recorder.batches == [[1, 2], [3, 4], [5]]


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_calls_still_run() -> None:
    recorder = Recorder()
    recorder.fail_batches = True
    coalescer = Coalescer(recorder.one, recorder.many, slots=1, most=100, name="test")
    results = await _fill_slots_then_call(coalescer, recorder, 4)
    assert results[0] == 0
    assert all(isinstance(result, RuntimeError) and "failed" in str(result) for result in results[1:])
    recorder.fail_batches = False
    assert await coalescer(7) == 70


async def test_a_caller_that_gave_up_is_left_out_of_the_batch() -> None:
    recorder = Recorder()
    coalescer = Coalescer(recorder.one, recorder.many, slots=1, most=100, name="test")
    recorder.release.clear()
    first = asyncio.create_task(coalescer(0))
    waiting = [asyncio.create_task(coalescer(item)) for item in (1, 2, 3)]
    await asyncio.sleep(0.01)
    waiting[1].cancel()
    recorder.release.set()
    assert await first == 0
    assert [await waiting[0], await waiting[2]] == [10, 30]
    with pytest.raises(asyncio.CancelledError):
        await waiting[1]
    assert recorder.batches == [[1, 3]]


async def test_a_cancelled_batch_releases_its_callers() -> None:
    never = asyncio.Event()

    async def one(item: int) -> int:
        await never.wait()
        return item

    async def many(items: list[int]) -> list[int]:
        await never.wait()
        return items

    coalescer: Coalescer[int, int] = Coalescer(one, many, slots=1, most=2, name="test")
    first = asyncio.create_task(coalescer(0))
    queued = [asyncio.create_task(coalescer(item)) for item in range(1, 5)]
    await asyncio.sleep(0.01)
    first.cancel()  # the slot passes to a batch task, which holds items 1 and 2
    await asyncio.sleep(0.01)
    batches = coalescer.batches_in_flight()
    assert len(batches) == 1
    batches[0].cancel()  # as a shutdown does
    async with asyncio.timeout(5):  # nobody waits forever
        results = await asyncio.gather(*queued, return_exceptions=True)
    assert all(isinstance(result, asyncio.CancelledError) for result in results)
    never.set()
    assert await coalescer(9) == 9  # and the slot is free again
