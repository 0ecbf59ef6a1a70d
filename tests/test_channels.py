"""SQLSpecChannelsBackend honours Litestar's ChannelsBackend contract on every config kind, as a broadcast bus."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import SQLSpecChannelsBackend
from tests.channel_helpers import Receiver
from tests.databases import (
    ASYNC_KINDS,
    EXTRA_CHANNEL_KINDS,
    SYNC_KINDS,
    Database,
    close_pool,
    make_database,
    open_pool,
)

Started = Callable[..., Awaitable[SQLSpecChannelsBackend]]


@pytest.fixture(params=ASYNC_KINDS + SYNC_KINDS + EXTRA_CHANNEL_KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    return make_database(request.param, tmp_path)


@pytest.fixture
async def started(database: Database) -> AsyncIterator[Started]:
    """Start backends on one table, each on a config (and pool) of its own, like processes; stop them after."""
    table = f"channels_{uuid.uuid4().hex[:10]}"
    backends: list[SQLSpecChannelsBackend] = []
    configs: list[Any] = []

    async with anyio.create_task_group() as group:

        async def start(**options: Any) -> SQLSpecChannelsBackend:
            config = database.config(channels_table=table)
            await open_pool(config)
            configs.append(config)
            backend = SQLSpecChannelsBackend(config, **options)
            await backend.on_startup()
            backends.append(backend)
            return backend

        yield start
        group.cancel_scope.cancel()
    for backend in backends:
        await backend.on_shutdown()
    if backends:
        await backends[0].drop_table()
    for config in configs:
        await close_pool(config)


async def receiving(backend: SQLSpecChannelsBackend, group: Any) -> Receiver:
    receiver = Receiver(backend)
    group.start_soon(receiver.run)
    return receiver


async def test_every_subscribed_instance_receives_every_message_once_in_order(started: Started) -> None:
    first, second = await started(), await started()
    async with anyio.create_task_group() as group:
        receivers = [await receiving(first, group), await receiving(second, group)]
        for backend in (first, second):
            await backend.subscribe(["news"])
        for index in range(10):
            await (first if index % 2 else second).publish(f"m{index}".encode(), ["news"])
        expected = [("news", f"m{index}".encode()) for index in range(10)]
        for receiver in receivers:
            assert await receiver.wait_for(10) == expected
        await anyio.sleep(0.2)  # and nothing more arrives
        assert [len(receiver.events) for receiver in receivers] == [10, 10]
        group.cancel_scope.cancel()


async def test_messages_published_before_a_subscription_are_not_delivered(started: Started) -> None:
    backend = await started()
    async with anyio.create_task_group() as group:
        receiver = await receiving(backend, group)
        await backend.subscribe(["early"])
        await backend.publish(b"old", ["later"])  # "later" is not subscribed yet
        await backend.subscribe(["later"])
        await backend.publish(b"new", ["later"])
        assert await receiver.wait_for(1) == [("later", b"new")]
        await anyio.sleep(0.1)
        assert receiver.events == [("later", b"new")]
        group.cancel_scope.cancel()


async def test_a_message_published_right_after_subscribe_is_delivered(started: Started) -> None:
    listener, publisher = await started(), await started()
    async with anyio.create_task_group() as group:
        receiver = await receiving(listener, group)
        for trial in range(10):
            channel = f"trial-{trial}"
            await listener.subscribe([channel])
            await publisher.publish(b"x", [channel])
        assert sorted(channel for channel, _ in await receiver.wait_for(10)) == sorted(f"trial-{t}" for t in range(10))
        group.cancel_scope.cancel()


async def test_unsubscribed_channels_yield_nothing(started: Started) -> None:
    backend = await started()
    async with anyio.create_task_group() as group:
        receiver = await receiving(backend, group)
        await backend.subscribe(["a", "b"])
        await backend.unsubscribe(["b"])
        await backend.publish(b"1", ["a", "b"])
        await backend.publish(b"2", ["b"])
        await backend.publish(b"3", ["a"])
        assert await receiver.wait_for(2) == [("a", b"1"), ("a", b"3")]
        await anyio.sleep(0.1)
        assert len(receiver.events) == 2
        group.cancel_scope.cancel()


async def test_concurrent_publishes_share_commits_and_each_returns_once_committed(
    started: Started, database: Database
) -> None:
    publisher, other = await started(history=1000), await started(history=1000)
    tasks, each = 20, 10
    async with anyio.create_task_group() as group:
        receiver = await receiving(other, group)
        await other.subscribe(["busy"])

        async def publish_share(task: int) -> None:
            for index in range(each):
                payload = f"{task}:{index}".encode()
                await publisher.publish(payload, ["busy"])
                if index == each - 1:  # returned: committed, so another instance reads it
                    assert payload in await other.get_history("busy")

        async with anyio.create_task_group() as publishing:
            for task in range(tasks):
                publishing.start_soon(publish_share, task)
        events = await receiver.wait_for(tasks * each)
        assert sorted(payload for _, payload in events) == sorted(
            f"{task}:{index}".encode() for task in range(tasks) for index in range(each)
        )
        for task in range(tasks):  # each publisher's messages arrive in the order it published them
            mine = [payload for _, payload in events if payload.startswith(f"{task}:".encode())]
            assert mine == [f"{task}:{index}".encode() for index in range(each)]
        await anyio.sleep(0.2)  # and nothing more arrives
        assert len(receiver.events) == tasks * each
        group.cancel_scope.cancel()
    commits = database.scalar(f"SELECT COUNT(DISTINCT created_at) FROM {publisher.table_name}")
    assert commits < tasks * each  # a commit's messages share its time: publishers waiting were grouped


async def test_cancelled_publishers_do_not_stall_the_next_ones(started: Started) -> None:
    backend = await started(history=100)
    with anyio.move_on_after(0.005):
        async with anyio.create_task_group() as publishing:
            for index in range(50):
                publishing.start_soon(backend.publish, f"maybe{index}".encode(), ["c"])
    with anyio.fail_after(10):
        await backend.publish(b"after", ["c"])
    history = await backend.get_history("c")
    assert history[-1] == b"after"
    assert len(history) == len(set(history))


async def test_history_keeps_the_newest_messages_of_every_channel(started: Started) -> None:
    backend = await started(history=3)
    for index in range(5):
        await backend.publish(f"h{index}".encode(), ["nobody-listens"])
    assert await backend.get_history("nobody-listens") == [b"h2", b"h3", b"h4"]
    assert await backend.get_history("nobody-listens", limit=2) == [b"h3", b"h4"]
    assert await backend.get_history("nobody-listens", limit=10) == [b"h2", b"h3", b"h4"]
    assert await backend.get_history("never-used") == []
    without = await started()
    assert await without.get_history("nobody-listens") == []


async def test_payloads_are_any_bytes_up_to_megabytes_and_names_any_string(started: Started) -> None:
    backend = await started()
    payloads = [b"", bytes(range(256)), bytes(range(256)) * 4096]  # the last is 1 MiB
    names = ["plain", "ünï ✓", "nul\x00byte", "x" * 5000]
    async with anyio.create_task_group() as group:
        receiver = await receiving(backend, group)
        await backend.subscribe(names)
        for payload in payloads:
            await backend.publish(payload, names)
        expected = [(name, payload) for payload in payloads for name in names]
        assert sorted(await receiver.wait_for(len(expected))) == sorted(expected)
        group.cancel_scope.cancel()


async def test_one_publish_to_a_hundred_channels(started: Started) -> None:
    backend = await started()
    channels = [f"c{index:03d}" for index in range(100)]
    async with anyio.create_task_group() as group:
        receiver = await receiving(backend, group)
        await backend.subscribe(channels)
        await backend.publish(b"all", channels)
        assert await receiver.wait_for(100) == [(channel, b"all") for channel in channels]
        group.cancel_scope.cancel()


async def test_shutdown_is_prompt(started: Started) -> None:
    backend = await started()
    await backend.subscribe(["quiet"])
    with anyio.fail_after(5):  # a listener that ignored cancellation would hang here
        await backend.on_shutdown()


async def test_old_messages_beyond_history_are_pruned(started: Started) -> None:
    backend = await started(history=2, retention=0)
    for index in range(5):
        await backend.publish(f"p{index}".encode(), ["pruned"])
    await backend.publish(b"alone", ["kept"])
    await anyio.sleep(0.01)  # every message is now older than the retention of 0 s
    await backend.prune()  # (the backend's reader may have pruned some already: the outcome is the same)
    assert await backend.get_history("pruned") == [b"p3", b"p4"]
    assert await backend.get_history("kept") == [b"alone"]
    rows = await backend._run(backend._ops.poll, 0, [], 100)
    assert len(rows) == 3  # only those kept by history remain


async def test_bad_input_is_rejected_with_a_clear_error(tmp_path: Path) -> None:
    config = make_database("aiosqlite", tmp_path).config()
    backend = SQLSpecChannelsBackend(config, max_payload_bytes=10)
    with pytest.raises(TypeError, match="channel payloads are bytes, got str"):
        await backend.publish("text", ["a"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"a payload of 11 bytes is larger than max_payload_bytes \(10\)"):
        await backend.publish(b"x" * 11, ["a"])
    with pytest.raises(TypeError, match="channel names are strings, got 1"):
        await backend.publish(b"x", [1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="history=-1 is invalid"):
        SQLSpecChannelsBackend(config, history=-1)
    with pytest.raises(ValueError, match="poll_interval=0 is invalid"):
        SQLSpecChannelsBackend(config, poll_interval=0)
    with pytest.raises(ImproperConfigurationError, match="table name 'bad name' is invalid"):
        SQLSpecChannelsBackend(config, table_name="bad name")
    missing = make_database("aiosqlite", tmp_path).config(create_schema=False, channels_table="absent")
    with pytest.raises(ImproperConfigurationError, match="the channels table 'absent' does not exist"):
        await SQLSpecChannelsBackend(missing).on_startup()
    await config.close_pool()
    await missing.close_pool()


async def test_sqlspecs_constructor_arguments_are_accepted(tmp_path: Path) -> None:
    from sqlspec.extensions.events import AsyncEventChannel

    config = make_database("aiosqlite", tmp_path).config()
    backend = SQLSpecChannelsBackend(AsyncEventChannel(config), channel_prefix="app", poll_interval=0.2)
    assert backend.config is config
    with pytest.raises(TypeError, match="needs a sqlspec database config"):
        SQLSpecChannelsBackend("sqlite:///app.db")
    with pytest.raises(ValueError, match="output_queue_capacity=0 is invalid"):
        SQLSpecChannelsBackend(config, output_queue_capacity=0)
    await config.close_pool()


async def test_a_full_output_queue_drops_and_counts(started: Started) -> None:
    backend = await started(output_queue_capacity=2)
    await backend.subscribe(["burst"])
    for index in range(5):
        await backend.publish(f"b{index}".encode(), ["burst"])
    with anyio.fail_after(10):
        while backend.dropped_message_count < 3:
            await anyio.sleep(0.01)
    assert backend.output_queue_depth == 2
    received = []
    async for event in backend.stream_events():
        received.append(event)
        if len(received) == 2:
            break
    assert received == [("burst", b"b0"), ("burst", b"b1")]
