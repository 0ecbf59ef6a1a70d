"""Channels benchmark: SQLSpecChannelsBackend vs sqlspec's own Litestar channels backend (over its events extension)
and Litestar's PostgreSQL backends, with Litestar's MemoryChannelsBackend as the ceiling.

Every backend runs in this one process, started once, with a subscriber task consuming ``stream_events()``; the
publisher is the same backend instance. Measurements, medians over interleaved rounds (backends and measurements in
rotated order each round):
- ``b2b``: publish one message, wait until the subscriber has it, again (``--messages`` times, within a time budget);
  p50 and p99 latency in ms;
- ``quiet``: the same after a random 0-250 ms pause before each publish (seeded): p50, p99 and max latency in ms;
- ``msgs/s``: ``--throughput`` messages published by sequential awaits, timed until the subscriber has them all;
- ``msgs/s N``: the same messages shared by ``--publishers`` concurrent tasks (as request handlers publish), each
  publishing its share by sequential awaits.
Every message is unique: losses and duplicates are counted over the whole run and printed.

Run: ``python bench/channels.py`` (``--kinds``, ``--rounds``, ``--messages``, ``--quiet-messages``, ...);
``--json PATH`` also writes the results as JSON (``scripts/bench_report.py`` reads it), ``--quick`` cuts every count
to smoke-test the pipeline.
"""

import argparse
import asyncio
import importlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.aiosqlite.events.store import AiosqliteEventQueueStore
from sqlspec.adapters.asyncpg import AsyncpgConfig
from sqlspec.adapters.psycopg import PsycopgAsyncConfig
from sqlspec.adapters.psycopg.events.store import PsycopgAsyncEventQueueStore
from sqlspec.extensions.events import AsyncEventChannel
from sqlspec.extensions.litestar.channels import SQLSpecChannelsBackend as RefBackend

from litestar_sqlspec import SQLSpecChannelsBackend
from litestar_sqlspec._async import open_pool_async

PG_DSN = os.environ.get("LITESTAR_SQLSPEC_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
KINDS = (
    "ours/aiosqlite",
    "ours/psycopg",
    "ours/psycopg-async-commit",
    "ours/asyncpg",
    "sqlspec-queue/aiosqlite",
    "sqlspec-queue/psycopg",
    "sqlspec-notify/psycopg",
    "sqlspec-notify/asyncpg",
    "litestar/psycopg",
    "litestar/asyncpg",
    "memory",
)
# (ours, reference): ratios are printed for each pair measured
PAIRS = (
    ("ours/aiosqlite", "sqlspec-queue/aiosqlite"),
    ("ours/psycopg", "sqlspec-queue/psycopg"),
    ("ours/psycopg", "sqlspec-notify/psycopg"),
    ("ours/psycopg", "litestar/psycopg"),
    ("ours/psycopg", "litestar/asyncpg"),
    ("ours/psycopg-async-commit", "sqlspec-notify/psycopg"),
    ("ours/asyncpg", "sqlspec-notify/asyncpg"),
    ("ours/asyncpg", "litestar/asyncpg"),
)
TESTS = ("b2b", "quiet", "throughput", "concurrent")
MESSAGE_TIMEOUT = 5.0  # a latency message not received within this is counted lost
MAX_LOST_PER_TEST = 3  # a latency test gives up after this many lost messages
QUIET_PAUSE = 0.25
# --quick: (argument, value) caps, so that the whole run takes seconds (numbers not for citing)
QUICK = {
    "rounds": 1,
    "messages": 10,
    "b2b_budget": 1.0,
    "quiet_messages": 4,
    "throughput": 100,
    "timeout": 20.0,
    "settle": 0.5,
}


class Receiver:
    """What a backend's subscriber task received: a count per message, waiters for latency, a throughput run."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.sent: set[str] = set()
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.run_prefix = ""
        self.run_needed = 0
        self.run_unique = 0
        self.run_done = asyncio.Event()
        self.error: BaseException | None = None

    def deliver(self, payload: bytes) -> None:
        now = time.perf_counter()
        key = payload.decode("utf-8", "replace")
        self.counts[key] += 1
        if self.counts[key] > 1:
            return
        waiter = self.waiters.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(now)
        if self.run_prefix and key.startswith(self.run_prefix):
            self.run_unique += 1
            if self.run_unique >= self.run_needed:
                self.run_done.set()


@dataclass
class Subject:
    """One backend under test, its channel, what it received, and how to tear it all down."""

    name: str
    backend: ChannelsBackend
    channel: str
    stack: AsyncExitStack
    receiver: Receiver = field(default_factory=Receiver)
    notes: list[str] = field(default_factory=list)

    async def publish(self, key: str, *, record: bool = True) -> None:
        if record:
            self.receiver.sent.add(key)
        await self.backend.publish(key.encode(), [self.channel])


@dataclass
class Results:
    b2b_p50: list[float] = field(default_factory=list)
    b2b_p99: list[float] = field(default_factory=list)
    b2b_n: list[int] = field(default_factory=list)
    quiet_p50: list[float] = field(default_factory=list)
    quiet_p99: list[float] = field(default_factory=list)
    quiet_max: list[float] = field(default_factory=list)
    rate: list[float | None] = field(default_factory=list)
    rate_received: list[int] = field(default_factory=list)
    concurrent_rate: list[float | None] = field(default_factory=list)
    concurrent_received: list[int] = field(default_factory=list)
    lost_in_tests: int = 0


def p99(samples: list[float]) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


# building the backends


async def consume(backend: ChannelsBackend, receiver: Receiver) -> None:
    try:
        async for _channel, payload in backend.stream_events():
            receiver.deliver(payload)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        receiver.error = exc
        print(f"subscriber failed: {exc!r}", file=sys.stderr)


async def cancel(task: "asyncio.Task[None]") -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


async def create_queue_table(config: Any, store: Any) -> None:
    """What sqlspec's events migration (``0001_create_event_queue``) runs: the store's CREATE statements."""
    async with config.provide_session() as driver:
        for statement in store.create_statements():
            await driver.execute(statement)
        await driver.commit()


async def drop_queue_table(config: Any, store: Any) -> None:
    async with config.provide_session() as driver:
        for statement in store.drop_statements():
            await driver.execute(statement)
        await driver.commit()


def pg_config(extension_config: dict[str, Any] | None = None) -> PsycopgAsyncConfig:
    return PsycopgAsyncConfig(
        connection_config={"conninfo": PG_DSN, "min_size": 1, "max_size": 4}, extension_config=extension_config or {}
    )


def asyncpg_config(extension_config: dict[str, Any] | None = None) -> AsyncpgConfig:
    return AsyncpgConfig(
        connection_config={"dsn": PG_DSN, "min_size": 1, "max_size": 4}, extension_config=extension_config or {}
    )


async def make_backend(kind: str, workdir: Path, stack: AsyncExitStack) -> ChannelsBackend:
    """Construct ``kind`` (pools open, tables created), registering its teardown on ``stack``; not yet started."""
    tag = uuid.uuid4().hex[:8]
    if kind.startswith("ours/"):
        table = f"bench_ours_{tag}"
        if kind == "ours/aiosqlite":
            config: Any = AiosqliteConfig(connection_config={"database": str(workdir / f"{table}.db")})
        else:
            config = asyncpg_config() if kind == "ours/asyncpg" else pg_config()
        stack.push_async_callback(config.close_pool)
        await open_pool_async(config)
        # "-async-commit": publishes do not wait for the disk flush (synchronous_commit=False)
        ours = SQLSpecChannelsBackend(config, table_name=table, synchronous_commit=not kind.endswith("async-commit"))
        stack.push_async_callback(ours.drop_table)
        return ours
    if kind.startswith("sqlspec-"):
        table = f"bench_ref_{tag}"
        if kind == "sqlspec-queue/aiosqlite":
            events = {"backend": "poll_queue", "queue_table": table}
            config = AiosqliteConfig(
                connection_config={"database": str(workdir / f"{table}.db")}, extension_config={"events": events}
            )
            store: Any = AiosqliteEventQueueStore(config)
        elif kind == "sqlspec-queue/psycopg":
            config = pg_config({"events": {"backend": "poll_queue", "queue_table": table}})
            store = PsycopgAsyncEventQueueStore(config)
        else:
            make = asyncpg_config if kind == "sqlspec-notify/asyncpg" else pg_config
            config = make({"events": {"backend": "notify"}})
            store = None
        stack.push_async_callback(config.close_pool)
        await open_pool_async(config)
        if store is not None:
            stack.push_async_callback(drop_queue_table, config, store)
            await create_queue_table(config, store)
        channel = AsyncEventChannel(config)
        expected = "notify" if kind.startswith("sqlspec-notify") else "poll_queue"
        if channel.backend_name != expected:
            msg = f"the event channel resolved backend {channel.backend_name!r}, not {expected!r}"
            raise RuntimeError(msg)
        return RefBackend(channel)
    if kind == "litestar/psycopg":
        from litestar.channels.backends.psycopg import PsycoPgChannelsBackend

        return PsycoPgChannelsBackend(pg_dsn=PG_DSN)
    if kind == "litestar/asyncpg":
        module = importlib.import_module("litestar.channels.backends.asyncpg")  # needs asyncpg installed
        backend: ChannelsBackend = module.AsyncPgChannelsBackend(dsn=PG_DSN)
        return backend
    if kind == "memory":
        return MemoryChannelsBackend()
    msg = f"unknown kind {kind!r}"
    raise ValueError(msg)


async def warm_up(subject: Subject, seconds: float = 15.0) -> None:
    """Publish until the subscriber receives (a LISTEN may be set up lazily), then a few more round trips."""
    receiver = subject.receiver
    deadline = time.perf_counter() + seconds
    received = 0
    index = 0
    while received < 5:
        if time.perf_counter() > deadline:
            msg = f"the subscriber received {received} of the warm-up messages in {seconds:.0f} s"
            raise RuntimeError(msg)
        key = f"warm:{index}"
        index += 1
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        receiver.waiters[key] = waiter
        await subject.publish(key, record=False)
        try:
            async with asyncio.timeout(1.0):
                await waiter
            received += 1
        except TimeoutError:
            receiver.waiters.pop(key, None)


async def build(kind: str, workdir: Path) -> Subject:
    stack = AsyncExitStack()
    try:
        backend = await make_backend(kind, workdir, stack)
        subject = Subject(kind, backend, f"bench_{uuid.uuid4().hex[:12]}", stack)
        await backend.on_startup()
        stack.push_async_callback(backend.on_shutdown)
        await backend.subscribe([subject.channel])
        task = asyncio.create_task(consume(backend, subject.receiver), name=f"{kind} subscriber")
        stack.push_async_callback(cancel, task)
        await warm_up(subject)
    except BaseException:
        try:
            await stack.aclose()
        except Exception as exc:
            print(f"{kind}: teardown after a failed start failed: {exc!r}", file=sys.stderr)
        raise
    return subject


# the measurements


async def latencies(subject: Subject, run: str, count: int, budget: float, rng: random.Random | None) -> list[float]:
    """Latency in ms of ``count`` messages, each published once the previous one arrived (after a pause with rng)."""
    receiver = subject.receiver
    loop = asyncio.get_running_loop()
    samples: list[float] = []
    lost = 0
    deadline = time.perf_counter() + budget
    for seq in range(count):
        if rng is not None:
            await asyncio.sleep(rng.uniform(0, QUIET_PAUSE))
        key = f"{run}:{seq}"
        waiter: asyncio.Future[float] = loop.create_future()
        receiver.waiters[key] = waiter
        started = time.perf_counter()
        await subject.publish(key)
        try:
            async with asyncio.timeout(MESSAGE_TIMEOUT):
                received = await waiter
        except TimeoutError:
            receiver.waiters.pop(key, None)
            lost += 1
            if lost >= MAX_LOST_PER_TEST or receiver.error is not None:
                break
            continue
        samples.append((received - started) * 1000)
        if time.perf_counter() > deadline:
            break
    if lost:
        subject.notes.append(f"{run}: {lost} message(s) not received within {MESSAGE_TIMEOUT:.0f} s")
    return samples


async def throughput(
    subject: Subject, run: str, count: int, seconds: float, publishers: int = 1
) -> tuple[float | None, int]:
    """Messages/s publishing ``count`` messages back to back until all arrive; ``None`` on timeout, and received.

    With several ``publishers``, that many tasks share the messages, each publishing its share back to back.
    """
    receiver = subject.receiver
    receiver.run_prefix, receiver.run_needed, receiver.run_unique = f"{run}:", count, 0
    receiver.run_done.clear()

    async def publisher(first: int) -> None:
        for seq in range(first, count, publishers):
            await subject.publish(f"{run}:{seq}")

    started = time.perf_counter()
    try:
        async with asyncio.timeout(seconds):
            await asyncio.gather(*(publisher(first) for first in range(publishers)))
            await receiver.run_done.wait()
    except TimeoutError:
        return None, receiver.run_unique
    finally:
        receiver.run_prefix = ""
    return count / (time.perf_counter() - started), receiver.run_unique


async def measure(subject: Subject, test: str, round_index: int, args: argparse.Namespace, result: Results) -> None:
    run = f"r{round_index}-{test}"
    if test == "b2b":
        samples = await latencies(subject, run, args.messages, args.b2b_budget, None)
        if samples:
            result.b2b_p50.append(statistics.median(samples))
            result.b2b_p99.append(p99(samples))
            result.b2b_n.append(len(samples))
    elif test == "quiet":
        rng = random.Random(args.seed * 1000 + round_index)  # the same pauses for every backend in a round
        samples = await latencies(subject, run, args.quiet_messages, float("inf"), rng)
        if samples:
            result.quiet_p50.append(statistics.median(samples))
            result.quiet_p99.append(p99(samples))
            result.quiet_max.append(max(samples))
    else:
        concurrent = test == "concurrent"
        publishers = args.publishers if concurrent else 1
        rate, received = await throughput(subject, run, args.throughput, args.timeout, publishers)
        (result.concurrent_rate if concurrent else result.rate).append(rate)
        (result.concurrent_received if concurrent else result.rate_received).append(received)
        if rate is None:
            subject.notes.append(f"{run}: timeout after {args.timeout:.0f} s, {received}/{args.throughput} received")


# reporting


def fmt(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f}" if values else "-"


def rate_text(rates: list[float | None], received: list[int]) -> str:
    if not rates:
        return "-"
    done = [rate for rate in rates if rate is not None]
    if len(done) == len(rates):
        return f"{statistics.median(done):.0f}"
    return f"timeout {min(received)}/{max(received)}" if not done else "timeout*"


def rate_ratio(ours: list[float | None], reference: list[float | None]) -> str:
    """ours / reference of throughputs; ``-`` when ours timed out in a round, ``ref timeout`` when the reference did."""
    our_rates = [rate for rate in ours if rate is not None]
    their_rates = [rate for rate in reference if rate is not None]
    if len(their_rates) != len(reference):
        return "ref timeout"
    return ratio(our_rates, their_rates) if len(our_rates) == len(ours) else "-"


def ratio(reference: list[float], ours: list[float]) -> str:
    if not reference or not ours or statistics.median(ours) == 0:
        return "-"
    return f"{statistics.median(reference) / statistics.median(ours):.2f}"


def lost_and_dup(subject: Subject) -> tuple[int, int]:
    """Messages sent but never received, and extra deliveries (warm-up messages excluded)."""
    receiver = subject.receiver
    lost = len(receiver.sent - receiver.counts.keys())
    dup = sum(count - 1 for key, count in receiver.counts.items() if count > 1 and not key.startswith("warm:"))
    return lost, dup


def report(
    args: argparse.Namespace, subjects: list[Subject], results: dict[str, Results], skipped: dict[str, str]
) -> None:
    print(
        f"\n{args.rounds} rounds, medians over rounds; b2b: up to {args.messages} messages (budget "
        f"{args.b2b_budget:.0f} s per round), quiet: {args.quiet_messages} messages after "
        f"0-{QUIET_PAUSE * 1000:.0f} ms pauses (seed {args.seed}), throughput: {args.throughput} sequential "
        f"publishes (msgs/s) and the same shared by {args.publishers} concurrent publishers (msgs/s N); latencies in ms"
    )
    header = (
        "backend",
        "b2b p50",
        "b2b p99",
        "b2b n",
        "quiet p50",
        "quiet p99",
        "quiet max",
        "msgs/s",
        "msgs/s N",
        "lost",
        "dup",
    )
    print(f"{header[0]:26}" + "".join(f"{column:>11}" for column in header[1:]))
    for subject in subjects:
        result = results[subject.name]
        lost, dup = lost_and_dup(subject)
        quiet_max = f"{max(result.quiet_max):.2f}" if result.quiet_max else "-"
        b2b_n = f"{statistics.median(result.b2b_n):.0f}" if result.b2b_n else "-"
        cells = (
            fmt(result.b2b_p50),
            fmt(result.b2b_p99),
            b2b_n,
            fmt(result.quiet_p50),
            fmt(result.quiet_p99),
            quiet_max,
            rate_text(result.rate, result.rate_received),
            rate_text(result.concurrent_rate, result.concurrent_received),
            str(lost),
            str(dup),
        )
        print(f"{subject.name:26}" + "".join(f"{cell:>11}" for cell in cells))
    print("(quiet max: the largest over all rounds; lost/dup: over all sent messages, counted at the end of the run)")

    names = {subject.name for subject in subjects}
    lines = []
    for ours, reference in PAIRS:
        if ours not in names or reference not in names:
            continue
        mine, theirs = results[ours], results[reference]
        ratios = (
            ratio(theirs.b2b_p50, mine.b2b_p50),
            ratio(theirs.b2b_p99, mine.b2b_p99),
            ratio(theirs.quiet_p50, mine.quiet_p50),
            ratio(theirs.quiet_p99, mine.quiet_p99),
            rate_ratio(mine.rate, theirs.rate),
            rate_ratio(mine.concurrent_rate, theirs.concurrent_rate),
        )
        lines.append(f"{ours + ' vs ' + reference:50}" + "".join(f"{cell:>11}" for cell in ratios))
    if lines:
        print("\nratios (latency: reference/ours, throughput: ours/reference; above 1 means ours is better)")
        print(
            f"{'':50}"
            + "".join(
                f"{column:>11}" for column in ("b2b p50", "b2b p99", "quiet p50", "quiet p99", "msgs/s", "msgs/s N")
            )
        )
        print("\n".join(lines))

    notes = [f"  {subject.name}: {note}" for subject in subjects for note in subject.notes]
    notes += [f"  {kind}: {why}" for kind, why in skipped.items()]
    for subject in subjects:
        stray = [
            key for key in subject.receiver.counts if key not in subject.receiver.sent and not key.startswith("warm:")
        ]
        if stray:
            notes.append(f"  {subject.name}: {len(stray)} message(s) received that were never sent, e.g. {stray[0]!r}")
        if subject.receiver.error is not None:
            notes.append(f"  {subject.name}: the subscriber failed: {subject.receiver.error!r}")
    if notes:
        print("\nnotes and skipped backends:")
        print("\n".join(notes))


def median_or_none(values: list[float] | list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def over(ours: float | None, reference: float | None) -> float | None:
    """``ours / reference``, ``None`` when either is missing or the reference is 0."""
    if ours is None or reference is None or reference == 0:
        return None
    return ours / reference


def summarize(
    args: argparse.Namespace, subjects: list[Subject], results: dict[str, Results], skipped: dict[str, str]
) -> dict[str, Any]:
    """The measured results as JSON-ready data (medians over rounds, the raw per-round values, ratios ours/ref)."""
    backends: dict[str, Any] = {}
    for subject in subjects:
        result = results[subject.name]
        lost, dup = lost_and_dup(subject)
        rates = [rate for rate in result.rate if rate is not None]
        concurrent = [rate for rate in result.concurrent_rate if rate is not None]
        stray = [
            key for key in subject.receiver.counts if key not in subject.receiver.sent and not key.startswith("warm:")
        ]
        notes = list(subject.notes)
        if stray:
            notes.append(f"{len(stray)} message(s) received that were never sent")
        if subject.receiver.error is not None:
            notes.append(f"the subscriber failed: {subject.receiver.error!r}")
        backends[subject.name] = {
            "b2b_p50_ms": median_or_none(result.b2b_p50),
            "b2b_p99_ms": median_or_none(result.b2b_p99),
            "b2b_n": median_or_none(result.b2b_n),
            "quiet_p50_ms": median_or_none(result.quiet_p50),
            "quiet_p99_ms": median_or_none(result.quiet_p99),
            "quiet_max_ms": max(result.quiet_max) if result.quiet_max else None,
            # a throughput median only when no round timed out
            "msgs_per_s": median_or_none(rates) if rates and len(rates) == len(result.rate) else None,
            "throughput_timeouts": len(result.rate) - len(rates),
            "concurrent_msgs_per_s": (
                median_or_none(concurrent) if concurrent and len(concurrent) == len(result.concurrent_rate) else None
            ),
            "concurrent_timeouts": len(result.concurrent_rate) - len(concurrent),
            "lost": lost,
            "dup": dup,
            "notes": notes,
            "samples": {
                "b2b_p50_ms": result.b2b_p50,
                "b2b_p99_ms": result.b2b_p99,
                "b2b_n": result.b2b_n,
                "quiet_p50_ms": result.quiet_p50,
                "quiet_p99_ms": result.quiet_p99,
                "quiet_max_ms": result.quiet_max,
                "msgs_per_s": result.rate,
                "received_in_throughput": result.rate_received,
                "concurrent_msgs_per_s": result.concurrent_rate,
                "received_in_concurrent": result.concurrent_received,
            },
        }
    metrics = ("b2b_p50_ms", "b2b_p99_ms", "quiet_p50_ms", "quiet_p99_ms", "msgs_per_s", "concurrent_msgs_per_s")
    missing: dict[str, Any] = {}
    pairs = [  # every pair of requested kinds; ratios None where a side was skipped or has no value
        {
            "ours": ours,
            "reference": reference,
            "ours_over_reference": {
                metric: over(backends.get(ours, missing).get(metric), backends.get(reference, missing).get(metric))
                for metric in metrics
            },
        }
        for ours, reference in PAIRS
        if ours in args.kinds and reference in args.kinds
    ]
    return {
        "benchmark": "channels",
        "schema": 1,
        "quick": args.quick,
        "params": {
            "rounds": args.rounds,
            "messages": args.messages,
            "b2b_budget_s": args.b2b_budget,
            "quiet_messages": args.quiet_messages,
            "quiet_pause_max_s": QUIET_PAUSE,
            "throughput": args.throughput,
            "publishers": args.publishers,
            "timeout_s": args.timeout,
            "settle_s": args.settle,
            "seed": args.seed,
            "message_timeout_s": MESSAGE_TIMEOUT,
        },
        "kinds": list(args.kinds),
        "backends": backends,
        "pairs": pairs,
        "skipped": skipped,
    }


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-channels-"))
    subjects: list[Subject] = []
    skipped: dict[str, str] = {}
    try:
        for kind in args.kinds:
            try:
                subjects.append(await build(kind, workdir))
            except Exception as exc:
                skipped[kind] = f"skipped: {type(exc).__name__}: {exc}"
                print(f"({kind} skipped: {exc!r})", file=sys.stderr)
        results = {subject.name: Results() for subject in subjects}
        started = time.perf_counter()
        for round_index in range(args.rounds):
            shift = round_index % max(len(subjects), 1)
            tests = TESTS[round_index % len(TESTS) :] + TESTS[: round_index % len(TESTS)]
            for subject in subjects[shift:] + subjects[:shift]:
                if subject.receiver.error is not None:
                    continue
                for test in tests:
                    await measure(subject, test, round_index, args, results[subject.name])
            elapsed = time.perf_counter() - started
            print(f"round {round_index + 1}/{args.rounds} done ({elapsed:.0f} s)", file=sys.stderr)
        await asyncio.sleep(args.settle)  # late messages count as received, not lost
        report(args, subjects, results, skipped)
        if args.json:
            args.json.write_text(json.dumps(summarize(args, subjects, results, skipped), indent=2))
    finally:
        for subject in reversed(subjects):
            try:
                await subject.stack.aclose()
            except Exception as exc:
                print(f"{subject.name}: teardown failed: {exc!r}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)


def _kinds(value: str) -> str:
    if value not in KINDS:
        msg = f"{value!r} is not one of {', '.join(KINDS)}"
        raise argparse.ArgumentTypeError(msg)
    return value


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=200, help="back-to-back latency messages per round")
    parser.add_argument("--b2b-budget", type=float, default=8.0, help="seconds per back-to-back test and round")
    parser.add_argument("--quiet-messages", type=int, default=30, help="quiet-channel latency messages per round")
    parser.add_argument("--throughput", type=int, default=1000, help="messages per throughput test")
    parser.add_argument("--publishers", type=int, default=32, help="concurrent publishers in the concurrent test")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per throughput test")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait for late messages at the end")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), type=_kinds, metavar="KIND", help=", ".join(KINDS))
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--quick", action="store_true", help="smoke test: every count cut (numbers not for citing)")
    parsed = parser.parse_args()
    if parsed.quick:
        for name, cap in QUICK.items():
            setattr(parsed, name, min(getattr(parsed, name), cap))
    asyncio.run(main(parsed))
