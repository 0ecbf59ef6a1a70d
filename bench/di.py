"""Dependency-injection benchmark: this package vs a hand-written handler vs sqlspec's own Litestar extension.

Every app is driven in-process (``await app(scope, receive, send)``, ~15 µs a call) so that the plugin's own cost
is visible. The variants run interleaved, round after round, in one process; the figures are medians over rounds
and the ratios medians of each round's own ratio (variants measured moments apart).

Scenarios, per config kind (aiosqlite, sqlite3 with a sync handler, psycopg async, psycopg sync, asyncpg, psqlpy):
- ``read``: a handler running ``SELECT 1`` through the session (the hand-written one checks a session out of the
  config itself, the way an app without any plugin would, and runs in one transaction as the plugin's handlers do:
  on asyncpg and psqlpy, which commit each statement on its own, it begins one; the ``no_transaction`` variant there
  is the same handler without it, whose failed requests keep their writes);
- ``write``: an INSERT per request in autocommit mode; afterwards the committed rows are counted (lost writes);
- ``plain``: a handler that touches no database, in an app with and without the plugin.

Run: ``make bench`` (or ``python bench/di.py --rounds 5 --requests 2000``); ``--json PATH`` also writes the results
as JSON (``scripts/bench_report.py`` reads it), ``--quick`` cuts rounds and requests to smoke-test the pipeline.
"""

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import anyio.to_thread
import psycopg
from litestar import Litestar, get, post
from litestar.di import NamedDependency
from sqlspec import SQLSpec
from sqlspec.adapters.aiosqlite import AiosqliteConfig, AiosqliteDriver
from sqlspec.adapters.asyncpg import AsyncpgConfig, AsyncpgDriver
from sqlspec.adapters.psqlpy import PsqlpyConfig, PsqlpyDriver
from sqlspec.adapters.psycopg import PsycopgAsyncConfig, PsycopgAsyncDriver, PsycopgSyncConfig, PsycopgSyncDriver
from sqlspec.adapters.sqlite import SqliteConfig, SqliteDriver
from sqlspec.extensions.litestar import SQLSpecPlugin as ReferencePlugin

from litestar_sqlspec import SQLSpecPlugin

PG_DSN = os.environ.get("LITESTAR_SQLSPEC_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
KINDS = ("aiosqlite", "sqlite", "psycopg_async", "psycopg_sync", "asyncpg", "psqlpy")
# drivers that run each statement in a transaction of its own: a hand-written handler has nothing to commit there
AUTOCOMMITTING = frozenset({"asyncpg", "psqlpy"})
VARIANTS = ("baseline", "ours", "reference")
EXTRA_VARIANTS = ("no_transaction",)  # measured on the AUTOCOMMITTING kinds only
VARIANT_LABELS = {
    "baseline": "hand-written (no plugin, session from config.provide_session(), one transaction per request)",
    "ours": "litestar-sqlspec SQLSpecPlugin",
    "reference": "sqlspec.extensions.litestar.SQLSpecPlugin",
    "no_transaction": "hand-written without a transaction: each statement commits on its own (asyncpg, psqlpy)",
}


def variants_of(kind: str) -> tuple[str, ...]:
    return VARIANTS + EXTRA_VARIANTS if kind in AUTOCOMMITTING else VARIANTS


QUICK_ROUNDS = 2
QUICK_REQUESTS = 100
QUICK_OVERLOAD_CLIENTS = 6  # the reference fails (1 s pool timeout) for most clients beyond the pool's 4
POOL_SIZE = 8


@dataclass
class Target:
    """One app of one variant for one kind."""

    kind: str
    variant: str
    app: Litestar
    table: str
    count_rows: Callable[[], int]
    results: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    writes_ok: int = 0


def make_config(kind: str, path: Path, commit_mode: str) -> Any:
    litestar: dict[str, Any] = {"litestar": {"commit_mode": commit_mode}}
    if kind == "aiosqlite":
        return AiosqliteConfig(
            connection_config={"database": str(path), "pool_size": POOL_SIZE}, extension_config=litestar
        )
    if kind == "sqlite":
        return SqliteConfig(connection_config={"database": str(path)}, extension_config=litestar)
    if kind == "asyncpg":
        return AsyncpgConfig(
            connection_config={"dsn": PG_DSN, "min_size": POOL_SIZE, "max_size": POOL_SIZE}, extension_config=litestar
        )
    if kind == "psqlpy":
        return PsqlpyConfig(connection_config={"dsn": PG_DSN, "max_db_pool_size": POOL_SIZE}, extension_config=litestar)
    pool = {"conninfo": PG_DSN, "min_size": POOL_SIZE, "max_size": POOL_SIZE, "timeout": 10}
    if kind == "psycopg_async":
        return PsycopgAsyncConfig(connection_config=pool, extension_config=litestar)
    return PsycopgSyncConfig(connection_config=pool, extension_config=litestar)


DRIVERS = {
    "aiosqlite": AiosqliteDriver,
    "sqlite": SqliteDriver,
    "psycopg_async": PsycopgAsyncDriver,
    "psycopg_sync": PsycopgSyncDriver,
    "asyncpg": AsyncpgDriver,
    "psqlpy": PsqlpyDriver,
}


def plugin_handlers(kind: str, insert: str) -> list[Any]:
    """Handlers that receive the injected session (this package and the reference register the same name)."""
    if kind in ("sqlite", "psycopg_sync"):

        @get("/read", sync_to_thread=True)
        def read_sync(db_session: NamedDependency[Any]) -> int:
            return int(db_session.select_value("SELECT 1"))

        @post("/write", sync_to_thread=True)
        def write_sync(db_session: NamedDependency[Any]) -> None:
            db_session.execute(insert, {"name": "w"})

        return [read_sync, write_sync, plain]

    @get("/read")
    async def read_async(db_session: NamedDependency[Any]) -> int:
        return int(await db_session.select_value("SELECT 1"))

    @post("/write")
    async def write_async(db_session: NamedDependency[Any]) -> None:
        await db_session.execute(insert, {"name": "w"})

    return [read_async, write_async, plain]


def baseline_handlers(kind: str, config: Any, insert: str, transaction: bool = True) -> list[Any]:
    """What an app without any plugin writes: check a session out of the config in the handler.

    ``transaction``: the handler's statements run in one transaction, committed by the write (as the plugin's are). On
    a DB-API driver the first statement begins it; asyncpg and psqlpy need ``begin()``.
    """
    begins = transaction and kind in AUTOCOMMITTING
    if kind in ("sqlite", "psycopg_sync"):

        @get("/read", sync_to_thread=True)
        def read_sync() -> int:
            with config.provide_session() as session:
                return int(session.select_value("SELECT 1"))

        @post("/write", sync_to_thread=True)
        def write_sync() -> None:
            with config.provide_session() as session:
                session.execute(insert, {"name": "w"})
                session.commit()

        return [read_sync, write_sync, plain]

    @get("/read")
    async def read_async() -> int:
        async with config.provide_session() as session:
            if begins:
                await session.begin()
            value = int(await session.select_value("SELECT 1"))
            if begins:
                await session.commit()
            return value

    @post("/write")
    async def write_async() -> None:
        async with config.provide_session() as session:
            if begins:
                await session.begin()
            await session.execute(insert, {"name": "w"})
            if transaction or kind not in AUTOCOMMITTING:  # without one, the INSERT committed itself
                await session.commit()

    return [read_async, write_async, plain]


@get("/plain")
async def plain() -> str:
    return "ok"


def baseline_lifespan(config: Any) -> Callable[[Litestar], Any]:
    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        if config.is_async:
            await config.create_pool()
        else:
            await anyio.to_thread.run_sync(config.create_pool)
        try:
            yield
        finally:
            if config.is_async:
                await config.close_pool()
            else:
                await anyio.to_thread.run_sync(config.close_pool)

    return lifespan


def build(kind: str, variant: str, workdir: Path) -> Target:
    table = f"bench_{uuid.uuid4().hex[:8]}"
    insert = f"INSERT INTO {table} (name) VALUES (:name)"
    path = workdir / f"{kind}-{variant}.db"
    if kind in ("aiosqlite", "sqlite"):
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"CREATE TABLE {table} (name TEXT)")

        def count_rows() -> int:
            with sqlite3.connect(path) as connection:
                return int(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    else:
        with psycopg.connect(PG_DSN, autocommit=True) as pg:
            pg.execute(f"CREATE TABLE {table} (name TEXT)")

        def count_rows() -> int:
            with psycopg.connect(PG_DSN, autocommit=True) as pg:
                row = pg.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
                assert row is not None
                return int(row[0])

    config = make_config(kind, path, "autocommit")
    spec = SQLSpec()
    spec.add_config(config)
    if variant in ("baseline", "no_transaction"):
        handlers = baseline_handlers(kind, config, insert, transaction=variant == "baseline")
        app = Litestar(route_handlers=handlers, lifespan=[baseline_lifespan(config)])
    elif variant == "ours":
        app = Litestar(route_handlers=plugin_handlers(kind, insert), plugins=[SQLSpecPlugin(spec)])
    else:
        app = Litestar(route_handlers=plugin_handlers(kind, insert), plugins=[ReferencePlugin(spec)])
    return Target(kind, variant, app, table, count_rows)


def scope_for(method: str, path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }


async def call(app: Litestar, method: str, path: str) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope_for(method, path), receive, send)  # type: ignore[arg-type]
    return status


async def measure(target: Target, scenario: str, requests: int, concurrency: int) -> None:
    method, path, expected = {
        "read": ("GET", "/read", 200),
        "write": ("POST", "/write", 201),
        "plain": ("GET", "/plain", 200),
    }[scenario]
    failures = 0
    per_worker = requests // concurrency

    async def worker() -> None:
        nonlocal failures
        for _ in range(per_worker):
            status = await call(target.app, method, path)
            if status != expected:
                failures += 1
            elif scenario == "write":
                target.writes_ok += 1

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(concurrency):
            group.start_soon(worker)
    elapsed = time.perf_counter() - started
    target.results.setdefault(scenario, []).append(per_worker * concurrency / elapsed)
    target.failures[scenario] = target.failures.get(scenario, 0) + failures


OVERLOAD_CLIENTS = 16
OVERLOAD_POOL = 4
HOLD_SECONDS = 0.02


def overload_app(variant: str) -> tuple[Litestar, Any]:
    """psycopg sync, a pool of 4 (1 s pool timeout), handlers that hold their connection 20 ms."""
    pool = {"conninfo": PG_DSN, "min_size": OVERLOAD_POOL, "max_size": OVERLOAD_POOL, "timeout": 1}
    config = PsycopgSyncConfig(connection_config=pool, extension_config={"litestar": {"commit_mode": "autocommit"}})
    spec = SQLSpec()
    spec.add_config(config)

    @get("/hold", sync_to_thread=True)
    def hold(db_session: NamedDependency[Any]) -> int:
        value = int(db_session.select_value("SELECT 1"))
        time.sleep(HOLD_SECONDS)
        return value

    plugin = SQLSpecPlugin(spec) if variant == "ours" else ReferencePlugin(spec)
    return Litestar(route_handlers=[hold], plugins=[plugin]), config


async def overload(variant: str, clients: int = OVERLOAD_CLIENTS) -> dict[str, float]:
    """Total time, failures and the worst event-loop stall of ``clients`` (16) concurrent clients on a pool of 4."""
    app, _ = overload_app(variant)
    worst_lag = 0.0
    failures = 0
    done = anyio.Event()

    async def watch() -> None:
        nonlocal worst_lag
        while not done.is_set():
            started = time.perf_counter()
            await anyio.sleep(0.005)
            worst_lag = max(worst_lag, time.perf_counter() - started - 0.005)

    async def client() -> None:
        nonlocal failures
        if await call(app, "GET", "/hold") != 200:
            failures += 1

    async with app.lifespan():
        started = time.perf_counter()
        async with anyio.create_task_group() as outer:
            outer.start_soon(watch)
            async with anyio.create_task_group() as group:
                for _ in range(clients):
                    group.start_soon(client)
            elapsed = time.perf_counter() - started
            done.set()
    return {"seconds": elapsed, "failures": failures, "worst_loop_stall_ms": worst_lag * 1000}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def paired_ratio(ours: list[float], other: list[float]) -> float:
    """The median over rounds of each round's own ratio: both were measured moments apart, in the same conditions."""
    return median([mine / theirs for mine, theirs in zip(ours, other, strict=True)])


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-di-"))
    targets = {(kind, variant): build(kind, variant, workdir) for kind in args.kinds for variant in variants_of(kind)}
    async with AsyncExitStack() as stack:
        for target in targets.values():
            await stack.enter_async_context(target.app.lifespan())
        for target in targets.values():  # warm up: pools filled, statement caches primed
            for scenario in ("read", "plain"):
                await measure(target, scenario, args.concurrency * 10, args.concurrency)
            target.results.clear()
            target.failures.clear()
        for round_index in range(args.rounds):
            for kind in args.kinds:
                variants = variants_of(kind)
                turn = round_index % len(variants)
                order = variants[turn:] + variants[:turn]  # rotate who goes first
                for scenario in ("read", "write", "plain"):
                    for variant in order:
                        await measure(targets[kind, variant], scenario, args.requests, args.concurrency)
            print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)

    report: dict[str, Any] = {
        "benchmark": "di",
        "schema": 1,
        "quick": args.quick,
        "variants": VARIANT_LABELS,
        "unit": "requests/s",
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}",
        "versions": {
            name: version(name)
            for name in ("litestar", "sqlspec", "litestar-sqlspec", "psycopg", "aiosqlite", "asyncpg", "psqlpy")
        },
        "requests": args.requests,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "kinds": {},
    }
    for kind in args.kinds:
        rows: dict[str, Any] = {}
        variants = variants_of(kind)
        for scenario in ("read", "write", "plain"):
            samples = {variant: targets[kind, variant].results[scenario] for variant in variants}
            rows[scenario] = {
                "rps": {variant: median(samples[variant]) for variant in variants},
                "ours_vs_baseline": paired_ratio(samples["ours"], samples["baseline"]),
                "ours_vs_reference": paired_ratio(samples["ours"], samples["reference"]),
                "failures": {variant: targets[kind, variant].failures[scenario] for variant in variants},
                "samples": samples,
            }
            if "no_transaction" in samples:
                rows[scenario]["ours_vs_no_transaction"] = paired_ratio(samples["ours"], samples["no_transaction"])
        rows["writes"] = {
            variant: {
                "answered_2xx": targets[kind, variant].writes_ok,
                "committed": targets[kind, variant].count_rows(),
            }
            for variant in variants
        }
        report["kinds"][kind] = rows
    if "psycopg_sync" in args.kinds:
        clients = QUICK_OVERLOAD_CLIENTS if args.quick else OVERLOAD_CLIENTS
        report["overload"] = {variant: await overload(variant, clients) for variant in ("ours", "reference")}
        report["overload_params"] = {
            "kind": "psycopg_sync",
            "pool_size": OVERLOAD_POOL,
            "clients": clients,
            "hold_ms": HOLD_SECONDS * 1000,
            "pool_timeout_s": 1,
        }
    return report


def print_report(report: dict[str, Any]) -> None:
    print(f"\n{report['machine']}; {report['versions']}")
    print(f"{report['requests']} requests x {report['rounds']} rounds, concurrency {report['concurrency']}, medians\n")
    header = (
        f"{'kind':14} {'scenario':8} {'baseline':>10} {'ours':>10} {'reference':>10} {'ours/base':>10} {'ours/ref':>9}"
        f" {'no-tx':>8} {'ours/no-tx':>10}"
    )
    print(header)
    print("-" * len(header))
    for kind, rows in report["kinds"].items():
        for scenario in ("read", "write", "plain"):
            row = rows[scenario]
            rps = row["rps"]
            failed = ", ".join(f"{name} failed {count}" for name, count in row["failures"].items() if count)
            bare = (
                f" {rps['no_transaction']:8.0f} {row['ours_vs_no_transaction']:10.2f}"
                if "no_transaction" in rps
                else ""
            )
            print(
                f"{kind:14} {scenario:8} {rps['baseline']:10.0f} {rps['ours']:10.0f} {rps['reference']:10.0f} "
                f"{row['ours_vs_baseline']:10.2f} {row['ours_vs_reference']:9.2f}{bare}  {failed}"
            )
        writes = rows["writes"]
        print(
            f"{'':14} writes   "
            + "; ".join(f"{name}: {w['committed']}/{w['answered_2xx']} committed" for name, w in writes.items())
        )


def print_overload(report: dict[str, Any]) -> None:
    if "overload" not in report:
        return
    print(
        f"\noverload: psycopg sync, pool {OVERLOAD_POOL}, {report['overload_params']['clients']} concurrent clients "
        f"holding the connection {HOLD_SECONDS * 1000:.0f} ms"
    )
    for variant, row in report["overload"].items():
        print(
            f"  {variant:10} {row['seconds']:6.2f} s  failed {row['failures']:3d}  "
            f"worst event-loop stall {row['worst_loop_stall_ms']:7.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: at most {QUICK_ROUNDS} rounds of {QUICK_REQUESTS} requests (numbers not for citing)",
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds = min(args.rounds, QUICK_ROUNDS)
        args.requests = min(args.requests, QUICK_REQUESTS)
    report = asyncio.run(run(args))
    print_report(report)
    print_overload(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
