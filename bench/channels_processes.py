"""Channels across OS processes: publish→receive latency on a quiet channel, and the idle cost of a subscriber.

A subscriber process (this script with ``--subscriber``) subscribes 10 channels on the same database as the publisher
(this process), counts its table reads while nothing is published, then reports when each message arrived. Payloads
carry the publish time (one machine, one clock). Run: ``python bench/channels_processes.py [--kinds ...]``;
``--json PATH`` also writes the results as JSON (``scripts/bench_report.py`` reads it), ``--quick`` cuts the message
count and the idle window to smoke-test the pipeline.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.psycopg import PsycopgAsyncConfig

from litestar_sqlspec import SQLSpecChannelsBackend
from litestar_sqlspec._async import open_pool_async

PG_DSN = os.environ.get("LITESTAR_SQLSPEC_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
CHANNELS = [f"quiet-{index}" for index in range(10)]
QUICK_MESSAGES = 6
QUICK_IDLE = 0.5


def make_config(kind: str, where: str, table: str) -> Any:
    extension: dict[str, Any] = {"litestar": {"channels_table": table}}
    if kind == "aiosqlite":
        return AiosqliteConfig(connection_config={"database": where}, extension_config=extension)
    return PsycopgAsyncConfig(connection_config={"conninfo": where}, extension_config=extension)


class CountingOps:
    """The backend's table operations, counting every read of the table."""

    def __init__(self, ops: Any) -> None:
        self.ops = ops
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ops, name)

    async def poll(self, *args: Any) -> Any:
        self.reads += 1
        return await self.ops.poll(*args)

    async def prune(self, *args: Any) -> Any:
        self.reads += 1
        return await self.ops.prune(*args)


async def subscriber(kind: str, where: str, table: str, count: int, idle_seconds: float) -> None:
    config = make_config(kind, where, table)
    await open_pool_async(config)
    backend = SQLSpecChannelsBackend(config)
    counting = CountingOps(backend._ops)
    backend._ops = counting
    await backend.on_startup()
    await backend.subscribe(CHANNELS)
    await asyncio.sleep(0.5)
    counting.reads = 0
    await asyncio.sleep(idle_seconds)
    idle_reads = counting.reads
    print(json.dumps({"ready": True, "idle_reads_per_second": idle_reads / idle_seconds}), flush=True)
    latencies: list[float] = []
    async for _, payload in backend.stream_events():
        latencies.append((time.time() - float(payload.decode())) * 1000)
        if len(latencies) == count:
            break
    await backend.on_shutdown()
    await config.close_pool()
    print(json.dumps({"latencies_ms": latencies}), flush=True)


async def measure(kind: str, workdir: Path, count: int, idle_seconds: float) -> dict[str, Any]:
    table = f"bench_xp_{uuid.uuid4().hex[:6]}"
    where = str(workdir / f"{table}.db") if kind == "aiosqlite" else PG_DSN
    config = make_config(kind, where, table)
    await open_pool_async(config)
    publisher = SQLSpecChannelsBackend(config)
    await publisher.on_startup()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--subscriber",
        kind,
        where,
        table,
        str(count),
        str(idle_seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        ready = json.loads(await process.stdout.readline())
        rng = random.Random(0)
        for index in range(count):
            await asyncio.sleep(rng.uniform(0, 0.25))
            await publisher.publish(str(time.time()).encode(), [CHANNELS[index % len(CHANNELS)]])
        result = json.loads(await asyncio.wait_for(process.stdout.readline(), 60))
        await process.wait()
    finally:
        await publisher.on_shutdown()
        await publisher.drop_table()
        await config.close_pool()
    latencies = sorted(result["latencies_ms"])
    return {
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max": latencies[-1],
        "idle": ready["idle_reads_per_second"],
    }


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-xp-"))
    print(
        f"{args.messages} messages after 0-250 ms pauses, to a subscriber in another process; idle reads counted "
        f"over {args.idle} s with {len(CHANNELS)} subscribed channels"
    )
    print(f"{'kind':12}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}{'idle reads/s':>15}")
    measured: dict[str, dict[str, Any]] = {}
    for kind in args.kinds:
        found = await measure(kind, workdir, args.messages, args.idle)
        measured[kind] = found
        print(f"{kind:12}{found['p50']:10.2f}{found['p99']:10.2f}{found['max']:10.2f}{found['idle']:15.2f}")
    if args.json:
        summary = {
            "benchmark": "channels_processes",
            "schema": 1,
            "quick": args.quick,
            "params": {
                "messages": args.messages,
                "idle_s": args.idle,
                "channels": len(CHANNELS),
                "pause_max_s": 0.25,
                "seed": 0,
            },
            "kinds": {
                kind: {
                    "p50_ms": found["p50"],
                    "p99_ms": found["p99"],
                    "max_ms": found["max"],
                    "idle_reads_per_s": found["idle"],
                }
                for kind, found in measured.items()
            },
        }
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--subscriber":
        _, _, kind, where, table, count, idle = sys.argv
        asyncio.run(subscriber(kind, where, table, int(count), float(idle)))
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
        parser.add_argument("--messages", type=int, default=60)
        parser.add_argument("--idle", type=float, default=5.0)
        parser.add_argument("--kinds", nargs="+", default=["aiosqlite", "psycopg_async"])
        parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
        parser.add_argument(
            "--quick",
            action="store_true",
            help=f"smoke test: at most {QUICK_MESSAGES} messages, {QUICK_IDLE} s idle (numbers not for citing)",
        )
        parsed = parser.parse_args()
        if parsed.quick:
            parsed.messages = min(parsed.messages, QUICK_MESSAGES)
            parsed.idle = min(parsed.idle, QUICK_IDLE)
        asyncio.run(main(parsed))
