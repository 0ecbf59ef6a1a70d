"""Store benchmark: SQLSpecStore vs sqlspec's own per-adapter stores, with Litestar's MemoryStore and RedisStore as
anchors, and the network round trips of each operation on PostgreSQL counted by a loopback proxy.

Operations: set, get, get with renew, exists, delete; sequential ops/s, medians over interleaved rounds. Within a
round every store runs one operation before any store runs the next, so that a ratio compares runs made moments apart
on this shared machine; the ratios are the medians of the rounds' own ratios.
Run: ``python bench/store.py`` (``make bench`` runs it after ``bench/di.py``); ``--json PATH`` also writes the results
as JSON (``scripts/bench_report.py`` reads it), ``--quick`` cuts rounds and operations to smoke-test the pipeline.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.aiosqlite.litestar.store import AiosqliteStore as ReferenceAiosqliteStore
from sqlspec.adapters.asyncpg import AsyncpgConfig
from sqlspec.adapters.asyncpg.litestar.store import AsyncpgStore as ReferenceAsyncpgStore
from sqlspec.adapters.psqlpy import PsqlpyConfig
from sqlspec.adapters.psqlpy.litestar.store import PsqlpyStore as ReferencePsqlpyStore
from sqlspec.adapters.psycopg import PsycopgAsyncConfig, PsycopgSyncConfig
from sqlspec.adapters.psycopg.litestar.store import PsycopgAsyncStore as ReferencePsycopgAsyncStore
from sqlspec.adapters.psycopg.litestar.store import PsycopgSyncStore as ReferencePsycopgSyncStore
from sqlspec.adapters.sqlite import SqliteConfig
from sqlspec.adapters.sqlite.litestar.store import SQLiteStore as ReferenceSQLiteStore

from litestar_sqlspec import SQLSpecStore
from litestar_sqlspec._async import open_pool_async
from litestar_sqlspec._sync import open_pool_sync

try:
    from bench.turns import PG_HOST, PG_PORT, TurnCounter
except ModuleNotFoundError:  # run as a script (python bench/store.py): its folder is on the path
    from turns import PG_HOST, PG_PORT, TurnCounter  # type: ignore[import-not-found,no-redef]

PG_DSN = os.environ.get("LITESTAR_SQLSPEC_PG_DSN", f"postgresql://postgres@{PG_HOST}:{PG_PORT}/test")
OPS = ("set", "get", "get_renew", "exists", "delete")
KINDS = ("aiosqlite", "sqlite", "psycopg_async", "psycopg_sync", "asyncpg", "psqlpy")
POSTGRES_KINDS = frozenset({"psycopg_async", "psycopg_sync", "asyncpg", "psqlpy"})
ROUND_TRIP_OPS = 50
QUICK_ROUNDS = 1
QUICK_OPS = 100
QUICK_ROUND_TRIP_OPS = 10
CONTENDER_LABELS = {
    "ours": "litestar-sqlspec SQLSpecStore",
    "ours-durable": "litestar-sqlspec SQLSpecStore(synchronous_commit=True): every write waits for the disk flush",
    "reference": "sqlspec's per-adapter Litestar store",
    "memory": "litestar MemoryStore (anchor)",
    "redis": "litestar RedisStore on 127.0.0.1:6379 (anchor)",
}
REFERENCES: dict[str, Any] = {
    "aiosqlite": ReferenceAiosqliteStore,
    "sqlite": ReferenceSQLiteStore,
    "psycopg_async": ReferencePsycopgAsyncStore,
    "psycopg_sync": ReferencePsycopgSyncStore,
    "asyncpg": ReferenceAsyncpgStore,
    "psqlpy": ReferencePsqlpyStore,
}


def make_config(kind: str, workdir: Path, table: str, port: int = PG_PORT) -> Any:
    ext: dict[str, Any] = {"litestar": {"session_table": table}}
    # one SQLite file per store: a shared file would hand one store's WAL checkpoints to the other
    if kind == "aiosqlite":
        return AiosqliteConfig(connection_config={"database": str(workdir / f"{table}.db")}, extension_config=ext)
    if kind == "sqlite":
        return SqliteConfig(connection_config={"database": str(workdir / f"{table}.db")}, extension_config=ext)
    conninfo = f"postgresql://postgres@{PG_HOST}:{port}/test"
    if kind == "asyncpg":
        return AsyncpgConfig(connection_config={"dsn": conninfo, "min_size": 1, "max_size": 2}, extension_config=ext)
    if kind == "psqlpy":
        return PsqlpyConfig(connection_config={"dsn": conninfo, "max_db_pool_size": 2}, extension_config=ext)
    pool = {"conninfo": conninfo, "min_size": 1, "max_size": 2}
    return (PsycopgAsyncConfig if kind == "psycopg_async" else PsycopgSyncConfig)(
        connection_config=pool, extension_config=ext
    )


def operations(store: Store) -> dict[str, Callable[[int], Awaitable[Any]]]:
    return {
        "set": lambda i: store.set(f"k{i}", b"x" * 256, expires_in=3600),
        "get": lambda i: store.get(f"k{i}"),
        "get_renew": lambda i: store.get(f"k{i}", renew_for=3600),
        "exists": lambda i: store.exists(f"k{i}"),
        "delete": lambda i: store.delete(f"k{i}"),
    }


async def ops_per_second(store: Store, op: str, count: int, concurrency: int = 1) -> float:
    """Operations per second of ``count`` operations run by ``concurrency`` tasks on distinct keys."""
    run = operations(store)[op]
    per_task = count // concurrency

    async def worker(offset: int) -> None:
        for index in range(offset, offset + per_task):
            await run(index)

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for task in range(concurrency):
            group.start_soon(worker, task * per_task)
    return per_task * concurrency / (time.perf_counter() - started)


async def close(config: Any) -> None:
    if config.is_async:
        await config.close_pool()
    else:
        await anyio.to_thread.run_sync(config.close_pool)


async def prepare(store: Store, config: Any) -> None:
    # Pools open first, as an app's lifespan opens them: sqlspec's plugin with ``create_pool()``, this package's with
    # its own opening, which sets the pool settings it relies on first (asyncpg: a reset that skips the reset query for
    # connections only the store used).
    if isinstance(store, SQLSpecStore):
        if config.is_async:
            await open_pool_async(config)
        else:
            await anyio.to_thread.run_sync(open_pool_sync, config)
    elif config.is_async:
        await config.create_pool()
    else:
        await anyio.to_thread.run_sync(config.create_pool)
    create = getattr(store, "create_table", None)
    if create is not None:
        await create()


async def drop(store: Store, config: Any) -> None:
    table = getattr(store, "table_name", None) or getattr(store, "_table_name", None)
    if isinstance(store, SQLSpecStore):
        await store.drop_table()
    elif table:
        session_context = config.provide_session()
        if config.is_async:
            async with session_context as session:
                await session.execute(f"DROP TABLE IF EXISTS {table}")
                await session.commit()
        else:

            def sync_drop() -> None:
                with session_context as session:
                    session.execute(f"DROP TABLE IF EXISTS {table}")
                    session.commit()

            await anyio.to_thread.run_sync(sync_drop)


def ratios_over_reference(
    results: dict[str, dict[str, list[float]]], kinds: list[str], variant: str
) -> dict[str, dict[str, float]]:
    """Per kind measured with ``variant``, per operation: the median over rounds of its ops/s ÷ the reference's."""
    return {
        kind: {
            op: statistics.median(
                ours / reference
                for ours, reference in zip(
                    results[f"{kind}/{variant}"][op], results[f"{kind}/reference"][op], strict=True
                )
            )
            for op in OPS
        }
        for kind in kinds
        if f"{kind}/{variant}" in results
    }


async def round_trips(
    kind: str, workdir: Path, counter: TurnCounter, count: int = ROUND_TRIP_OPS
) -> dict[str, dict[str, float]]:
    """Network round trips per operation on PostgreSQL, for this package and the reference."""
    result: dict[str, dict[str, float]] = {}
    for variant in ("ours", "reference"):
        table = f"rt_{variant}_{uuid.uuid4().hex[:6]}"
        config = make_config(kind, workdir, table, port=counter.port)
        store: Store = SQLSpecStore(config) if variant == "ours" else REFERENCES[kind](config)
        await prepare(store, config)
        for op in OPS:  # warm up: pool filled, statements prepared
            await operations(store)[op](0)
        result[variant] = {}
        for op in OPS:
            before = counter.turns
            run = operations(store)[op]
            for index in range(count):
                await run(index)
            result[variant][op] = (counter.turns - before) / count
        await drop(store, config)
        await close(config)
    return result


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-store-"))
    stores: dict[tuple[str, str], tuple[Store, Any]] = {}
    for kind in args.kinds:
        ours_config = make_config(kind, workdir, f"ours_{uuid.uuid4().hex[:6]}")
        ref_config = make_config(kind, workdir, f"ref_{uuid.uuid4().hex[:6]}")
        stores[kind, "ours"] = (SQLSpecStore(ours_config), ours_config)
        if kind in POSTGRES_KINDS:  # the default skips the commit's disk flush there; this one waits for it
            durable_config = make_config(kind, workdir, f"durable_{uuid.uuid4().hex[:6]}")
            stores[kind, "ours-durable"] = (SQLSpecStore(durable_config, synchronous_commit=True), durable_config)
        stores[kind, "reference"] = (REFERENCES[kind](ref_config), ref_config)
    anchors: dict[str, Store] = {"memory": MemoryStore()}
    skipped: dict[str, str] = {}
    redis = Redis.from_url("redis://127.0.0.1:6379/15")
    try:
        await redis.ping()
        anchors["redis"] = RedisStore(redis, namespace=f"bench{uuid.uuid4().hex[:6]}")
    except Exception as exc:
        skipped["redis"] = f"no Redis anchor: {exc}"
        print(f"(no Redis anchor: {exc})", file=sys.stderr)
    for store, config in stores.values():
        await prepare(store, config)

    results: dict[str, dict[str, list[float]]] = {}
    names = [f"{kind}/{variant}" for kind, variant in stores] + list(anchors)
    targets: dict[str, Store] = {f"{kind}/{variant}": store for (kind, variant), (store, _) in stores.items()}
    targets.update(anchors)
    for round_index in range(args.rounds):
        for op in OPS:  # every store keeps the order set, get, renew, exists, delete on its keys
            for name in names[round_index % len(names) :] + names[: round_index % len(names)]:
                results.setdefault(name, {}).setdefault(op, []).append(
                    await ops_per_second(targets[name], op, args.ops, args.concurrency)
                )
        print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)

    counter = TurnCounter()
    await counter.start()
    trip_ops = QUICK_ROUND_TRIP_OPS if args.quick else ROUND_TRIP_OPS
    trips = {kind: await round_trips(kind, workdir, counter, trip_ops) for kind in args.kinds if kind in POSTGRES_KINDS}
    await counter.stop()

    for store, config in stores.values():
        await drop(store, config)
        await close(config)
    if "redis" in anchors:
        await anchors["redis"].delete_all()
    await redis.aclose()

    mode = "sequential" if args.concurrency == 1 else f"{args.concurrency}-concurrent"
    print(f"\n{args.ops} {mode} operations x {args.rounds} rounds, medians, operations/s")
    print(f"{'store':26}" + "".join(f"{op:>11}" for op in OPS))
    for name in names:
        print(f"{name:26}" + "".join(f"{statistics.median(results[name][op]):11.0f}" for op in OPS))
    ratios = ratios_over_reference(results, args.kinds, "ours")
    durable_ratios = ratios_over_reference(results, args.kinds, "ours-durable")
    for label, table in (("ours/ref", ratios), ("durable/ref", durable_ratios)):
        for kind, per_op in table.items():
            print(f"{kind + ' ' + label:26}" + "".join(f"{per_op[op]:11.2f}" for op in OPS))
    for kind, per_variant in trips.items():
        print(f"\nround trips per operation on PostgreSQL ({kind})")
        for variant, per_op in per_variant.items():
            print(f"  {variant:10}" + "".join(f"{op}={count:.1f}  " for op, count in per_op.items()))
    if args.json:
        summary = {
            "benchmark": "store",
            "schema": 1,
            "quick": args.quick,
            "unit": "operations/s",
            "params": {
                "ops": args.ops,
                "rounds": args.rounds,
                "concurrency": args.concurrency,
                "mode": mode,
                "kinds": list(args.kinds),
                "value_bytes": 256,
                "round_trip_ops": trip_ops,
            },
            "operations": list(OPS),
            "contenders": CONTENDER_LABELS,
            "names": names,
            "anchors": list(anchors),
            "skipped": skipped,
            "ops_per_second": {name: {op: statistics.median(results[name][op]) for op in OPS} for name in names},
            "samples": results,
            "ratios": ratios,
            "durable_ratios": durable_ratios,
            "round_trips": trips,
        }
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--concurrency", type=int, default=1, help="tasks running operations at once (e.g. 32)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: at most {QUICK_ROUNDS} round of {QUICK_OPS} operations (numbers not for citing)",
    )
    parsed = parser.parse_args()
    if parsed.quick:
        parsed.rounds = min(parsed.rounds, QUICK_ROUNDS)
        parsed.ops = min(parsed.ops, QUICK_OPS)
    asyncio.run(main(parsed))
