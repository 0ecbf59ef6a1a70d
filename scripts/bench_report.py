"""Run every benchmark in ``bench/`` and write ``docs/benchmarks.md`` and ``docs/benchmarks.png`` from their JSON.

Each script runs as a subprocess, one after the other, with ``--json`` pointing into a scratch directory; the report
takes every number from those JSON files and adds the machine facts and package versions it ran with.

Run: ``make bench`` (``make bench-quick``, i.e. ``--quick``, for a smoke test of the pipeline whose numbers are not
for citing). ``--json-dir DIR`` keeps the JSON; ``--from-json DIR`` renders a report from a kept directory without
running anything (the machine facts and versions are then those of the rendering run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

__all__ = [
    "RUNS",
    "BenchRun",
    "machine_facts",
    "main",
    "package_versions",
    "render_chart",
    "render_markdown",
    "run_benchmarks",
]

ROOT = Path(__file__).resolve().parent.parent
PG_DSN = os.environ.get("LITESTAR_SQLSPEC_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PACKAGES = ("litestar", "sqlspec", "litestar-sqlspec", "aiosqlite", "psycopg", "asyncpg", "psqlpy", "redis")
META_FILE = "runs.json"
DASH = "—"
QUICK_BANNER = (
    "> **⚠ QUICK RUN — NOT FOR CITING.** Produced by `make bench-quick`: every iteration count is cut so that the"
    " pipeline runs in seconds, and the numbers are mostly noise. `make bench` on an idle machine regenerates this"
    " file with the real run."
)


@dataclass(frozen=True)
class BenchRun:
    """One invocation of one benchmark script."""

    key: str
    title: str
    script: str
    args: tuple[str, ...] = ()

    def command(self, json_path: Path, *, quick: bool) -> list[str]:
        """The command line: this interpreter, the script, its arguments, ``--json`` and maybe ``--quick``."""
        return [
            sys.executable,
            self.script,
            *self.args,
            "--json",
            str(json_path),
            *(["--quick"] if quick else []),
        ]


RUNS = (
    BenchRun("di", "Dependency injection", "bench/di.py"),
    BenchRun("store", "Store, sequential", "bench/store.py"),
    BenchRun("store_c32", "Store, 32 concurrent tasks", "bench/store.py", ("--concurrency", "32")),
    BenchRun("channels", "Channels, one process", "bench/channels.py"),
    BenchRun("channels_processes", "Channels across processes", "bench/channels_processes.py"),
)


# running


def run_benchmarks(json_dir: Path, *, quick: bool) -> dict[str, Any]:
    """Run every script in ``RUNS`` in sequence; return (and store in ``json_dir``) what ran and how long it took."""
    json_dir.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    started = time.perf_counter()
    for run in RUNS:
        json_path = json_dir / f"{run.key}.json"
        command = run.command(json_path, quick=quick)
        shown = " ".join([run.script, *command[2:]]).replace(str(json_path), f"<tmp>/{json_path.name}")
        print(f"\n=== {run.title}: python {shown}", flush=True)
        run_started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True)
        runs.append(
            {
                "key": run.key,
                "title": run.title,
                "command": f"python {shown}",
                "seconds": time.perf_counter() - run_started,
            }
        )
    meta = {
        "quick": quick,
        "started_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "total_seconds": time.perf_counter() - started,
        "runs": runs,
    }
    (json_dir / META_FILE).write_text(json.dumps(meta, indent=2))
    return meta


def load_results(json_dir: Path) -> dict[str, dict[str, Any]]:
    """The JSON each run wrote, by run key."""
    results: dict[str, dict[str, Any]] = {}
    for run in RUNS:
        data = json.loads((json_dir / f"{run.key}.json").read_text())
        if not isinstance(data, dict):
            msg = f"{run.key}.json does not hold an object"
            raise TypeError(msg)
        results[run.key] = data
    return results


# machine facts and versions


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_facts() -> dict[str, str]:
    """CPU model, cores, RAM, OS and Python of this machine (from /proc on Linux, ``platform`` otherwise)."""
    cpuinfo = _read("/proc/cpuinfo")
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    cores = {
        (block.get("physical id"), block.get("core id"))
        for block in (
            {
                key.strip(): value.strip()
                for key, _, value in (line.partition(":") for line in chunk.splitlines())
                if key.strip()
            }
            for chunk in cpuinfo.split("\n\n")
        )
        if "core id" in block
    }
    logical = os.cpu_count() or 0
    core_text = f"{logical} logical CPUs" + (f" ({len(cores)} physical cores)" if cores else "")
    mem_kib = next(
        (int(line.split()[1]) for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal:")), 0
    )
    os_release = {
        key: value.strip('"') for key, _, value in (line.partition("=") for line in _read("/etc/os-release").split())
    }
    os_name = os_release.get("PRETTY_NAME") or platform.system()
    return {
        "CPU": models[0] if models else (platform.processor() or platform.machine()),
        "Cores": core_text,
        "RAM": f"{mem_kib / 1024 / 1024:.1f} GiB" if mem_kib else "unknown",
        "OS": f"{os_name}, kernel {platform.release()} ({platform.machine()})",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
    }


def _git_revision() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            # the code measured: the report and chart this run writes do not make it "uncommitted"
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "src", "bench", "scripts", "pyproject.toml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f"git {head}" + (", with uncommitted changes" if dirty else "")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages under test, and the PostgreSQL server's ``SHOW server_version``."""
    found: dict[str, str] = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    revision = _git_revision()
    if revision:
        found["litestar-sqlspec"] += f" ({revision})"
    try:
        import psycopg

        with psycopg.connect(PG_DSN, connect_timeout=5) as connection:
            row = connection.execute("SHOW server_version").fetchone()
        found["PostgreSQL server"] = str(row[0]) if row else "unknown"
    except Exception as exc:  # noqa: BLE001 - the report notes any reason the server did not answer
        found["PostgreSQL server"] = f"unavailable ({type(exc).__name__})"
    return found


# formatting


def num(value: Any) -> float | None:
    """A JSON number as a float; ``None`` for null, NaN and anything not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def fmt_rate(value: Any) -> str:
    """Operations (or requests, messages) per second: whole numbers with thousands separators."""
    number = num(value)
    if number is None:
        return DASH
    return f"{number:,.0f}" if number >= 100 else f"{number:.1f}"


def fmt_ms(value: Any) -> str:
    """Milliseconds with two decimals."""
    number = num(value)
    return DASH if number is None else f"{number:.2f}"


def fmt_ratio(value: Any) -> str:
    """A ratio with two decimals (three significant digits below 0.1)."""
    number = num(value)
    if number is None:
        return DASH
    return f"{number:.2f}" if number >= 0.1 else f"{number:.3f}"


def fmt_count(value: Any) -> str:
    """A count."""
    number = num(value)
    return DASH if number is None else f"{number:.0f}"


def ratio(ours: Any, reference: Any) -> float | None:
    """``ours / reference`` of two JSON numbers, ``None`` if either is missing or the reference is 0."""
    mine, theirs = num(ours), num(reference)
    if mine is None or theirs is None or theirs == 0:
        return None
    return mine / theirs


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table: the first column left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join([":---", *["---:"] * (len(headers) - 1)]) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# sections


DI_SCENARIOS = {"read": "read (`SELECT 1`)", "write": "write (INSERT, autocommit)", "plain": "plain (no database)"}
STORE_OPS = {"set": "set", "get": "get", "get_renew": "get + renew", "exists": "exists", "delete": "delete"}
CHANNEL_ROWS = (  # (key, label, formatter, ratio column shown)
    ("b2b_p50_ms", "back-to-back p50, ms ↓", fmt_ms, True),
    ("b2b_p99_ms", "back-to-back p99, ms ↓", fmt_ms, True),
    ("b2b_n", "back-to-back messages per round", fmt_count, False),
    ("quiet_p50_ms", "quiet channel p50, ms ↓", fmt_ms, True),
    ("quiet_p99_ms", "quiet channel p99, ms ↓", fmt_ms, True),
    ("quiet_max_ms", "quiet channel max, ms ↓", fmt_ms, False),
    ("msgs_per_s", "throughput, msgs/s ↑", fmt_rate, True),
    ("concurrent_msgs_per_s", "throughput, concurrent publishers, msgs/s ↑", fmt_rate, True),
    ("lost", "lost messages", fmt_count, False),
    ("dup", "duplicated messages", fmt_count, False),
)
CHANNEL_GROUPS = (("SQLite (aiosqlite)", ("aiosqlite",)), ("PostgreSQL", ("psycopg", "asyncpg")))
CHART_CHANNEL_METRICS = {
    "b2b_p50_ms": "b2b p50",
    "b2b_p99_ms": "b2b p99",
    "quiet_p50_ms": "quiet p50",
    "quiet_p99_ms": "quiet p99",
    "msgs_per_s": "msgs/s",
    "concurrent_msgs_per_s": "msgs/s, concurrent",
}


def di_section(data: dict[str, Any]) -> list[str]:
    """The DI benchmark: requests/s per kind and scenario, lost writes, and the pool-overload run."""
    lines = [
        f"Requests/s of handlers driven in-process (`await app(scope, receive, send)`, no HTTP server), "
        f"{data['requests']} requests x {data['rounds']} rounds at concurrency {data['concurrency']}; the hand-written "
        "app, this package and sqlspec's extension run interleaved in one process, the order rotated every round; "
        "requests/s are medians over rounds, ratios medians of each round's own ratio. Higher is better.",
        "",
    ]
    rows: list[list[str]] = []
    for kind, per_kind in data["kinds"].items():
        for scenario, label in DI_SCENARIOS.items():
            row = per_kind[scenario]
            rps, failures = row["rps"], row["failures"]
            rows.append(
                [
                    f"{kind} · {label}",
                    fmt_rate(rps["baseline"]),
                    fmt_rate(rps["ours"]),
                    fmt_rate(rps["reference"]),
                    f"**{fmt_ratio(row['ours_vs_reference'])}**",
                    fmt_ratio(row["ours_vs_baseline"]),
                    fmt_ratio(row["ours_vs_no_transaction"]) if "ours_vs_no_transaction" in row else "n/a",
                    f"{failures['baseline']} / {failures['ours']} / {failures['reference']}",
                ]
            )
    lines += table(
        [
            "config · scenario (req/s)",
            "hand-written",
            "litestar-sqlspec",
            "sqlspec extension",
            "ours ÷ sqlspec",
            "ours ÷ hand-written",
            "ours ÷ hand-written without a transaction",
            "non-2xx (hand / ours / sqlspec)",
        ],
        rows,
    )
    lines += [
        "",
        "The hand-written handler runs each request in one transaction, as the plugin does. On asyncpg and psqlpy, "
        "which commit each statement on its own, that takes a `begin()`; the last ratio column compares with the same "
        "handler without it, whose failed requests keep their writes (one statement and the pool's reset: 2 round "
        "trips on asyncpg, where a request of the plugin takes 3: BEGIN, the statement, COMMIT with the reset).",
    ]
    lines += ["", "Writes committed (counted in the database afterwards) / writes answered with 2xx:", ""]
    write_rows = [
        [kind]
        + [
            f"{per_kind['writes'][variant]['committed']} / {per_kind['writes'][variant]['answered_2xx']}"
            for variant in ("baseline", "ours", "reference")
        ]
        for kind, per_kind in data["kinds"].items()
    ]
    lines += table(["config", "hand-written", "litestar-sqlspec", "sqlspec extension"], write_rows)
    overload = data.get("overload")
    if overload:
        params = data["overload_params"]
        lines += [
            "",
            f"Pool overload ({params['kind']}): {params['clients']} concurrent requests on a pool of "
            f"{params['pool_size']} ({params['pool_timeout_s']} s pool timeout), each holding its connection "
            f"{params['hold_ms']:.0f} ms; one run each, this package first (not interleaved). Lower is better.",
            "",
        ]
        ours, reference = overload["ours"], overload["reference"]
        lines += table(
            ["overload", "litestar-sqlspec", "sqlspec extension", "ours ÷ sqlspec"],
            [
                [
                    "total time, s",
                    f"{ours['seconds']:.2f}",
                    f"{reference['seconds']:.2f}",
                    fmt_ratio(ratio(ours["seconds"], reference["seconds"])),
                ],
                ["failed requests", fmt_count(ours["failures"]), fmt_count(reference["failures"]), DASH],
                [
                    "worst event-loop stall, ms",
                    fmt_ms(ours["worst_loop_stall_ms"]),
                    fmt_ms(reference["worst_loop_stall_ms"]),
                    fmt_ratio(ratio(ours["worst_loop_stall_ms"], reference["worst_loop_stall_ms"])),
                ],
            ],
        )
    return lines


def store_section(data: dict[str, Any]) -> list[str]:
    """The store benchmark: operations/s per config and operation with the anchors, and round trips."""
    params = data["params"]
    per_second = data["ops_per_second"]
    lines = [
        f"Operations/s of {params['ops']} {params['mode']} operations on distinct keys ({params['value_bytes']}-byte "
        f"values), {params['rounds']} round(s); both packages' stores on each config and the anchors (Litestar's "
        "MemoryStore and RedisStore) run in one process; within a round every store runs an operation before any "
        "store runs the next, in rotated order. Operations/s are medians over rounds; ratios are medians of each "
        "round's own ratio (runs moments apart). Higher is better. On PostgreSQL this package's store skips the disk "
        "flush of its writes' commits by default "
        '(`synchronous_commit=False`, as Redis keeps writes by default); the "durable" columns are the same store '
        "with `synchronous_commit=True`, every write waiting for its flush as sqlspec's store does. Round trips: "
        "network turns per operation through a counting proxy in front of PostgreSQL "
        f"({params['round_trip_ops']} operations each).",
        "",
    ]
    durable_ratios = data.get("durable_ratios", {})
    rows: list[list[str]] = []
    for kind in params["kinds"]:
        trips = data["round_trips"].get(kind, {})
        durable = durable_ratios.get(kind)
        for op, label in STORE_OPS.items():
            rows.append(
                [
                    f"{kind} · {label}",
                    fmt_rate(per_second[f"{kind}/ours"][op]),
                    fmt_rate(per_second[f"{kind}/ours-durable"][op]) if durable else DASH,
                    fmt_rate(per_second[f"{kind}/reference"][op]),
                    fmt_rate(per_second.get("memory", {}).get(op)),
                    fmt_rate(per_second.get("redis", {}).get(op)),
                    f"**{fmt_ratio(data['ratios'][kind][op])}**",
                    f"**{fmt_ratio(durable[op])}**" if durable else DASH,
                    f"{trips['ours'][op]:.1f}" if trips else DASH,
                    f"{trips['reference'][op]:.1f}" if trips else DASH,
                ]
            )
    lines += table(
        [
            "config · operation (ops/s)",
            "litestar-sqlspec",
            "litestar-sqlspec, durable",
            "sqlspec store",
            "MemoryStore",
            "RedisStore",
            "ours ÷ sqlspec",
            "durable ÷ sqlspec",
            "round trips, ours",
            "round trips, sqlspec",
        ],
        rows,
    )
    for name, why in data.get("skipped", {}).items():
        lines += ["", f"*{name}: {why}*"]
    return lines


def _driver(kind: str) -> str:
    # "ours/psycopg-async-commit" runs on psycopg
    return kind.rsplit("/", 1)[-1].split("-", 1)[0]


def _channel_group(kind: str, databases: tuple[str, ...]) -> bool:
    return kind == "memory" or _driver(kind) in databases


def _short(kind: str) -> str:
    name = kind.split("/", 1)[0]
    return "ours async-commit" if kind.endswith("async-commit") else name


def _pair_label(ours: str, reference: str) -> str:
    """A ratio column's header: the two backends, and the driver they share (one table holds several drivers)."""
    label = f"{_short(ours)} ÷ {_short(reference)}"
    return f"{label}, {_driver(ours)}" if _driver(ours) == _driver(reference) else label


def channels_section(data: dict[str, Any]) -> list[str]:
    """The single-process channels benchmark: one table per database, the ratio columns against sqlspec's backend."""
    params = data["params"]
    backends = data["backends"]
    lines = [
        f"Each backend publishes to itself and a subscriber task in the same process consumes `stream_events()`; "
        f"every backend is started once and measured interleaved, backends and tests in rotated order, "
        f"{params['rounds']} round(s), medians over rounds. Back-to-back: up to {params['messages']} messages, each "
        f"published once the previous one arrived ({params['b2b_budget_s']:.0f} s budget per round); quiet channel: "
        f"{params['quiet_messages']} messages after random 0-{params['quiet_pause_max_s'] * 1000:.0f} ms pauses; "
        f"throughput: {params['throughput']} sequential publishes timed until all arrived; concurrent publishers: the "
        f"same number of messages shared by {params.get('publishers', 1)} tasks, each publishing its share by "
        "sequential awaits (as concurrent request handlers do). "
        "`memory` is Litestar's in-process backend (the ceiling); `litestar/*` are Litestar's own PostgreSQL "
        "backends. Ratio columns are ours ÷ sqlspec on the row's quantity (↓ lower is better, ↑ higher is better).",
    ]
    for title, databases in CHANNEL_GROUPS:
        kinds = [kind for kind in data["kinds"] if _channel_group(kind, databases)]
        pairs = [
            pair
            for pair in data["pairs"]
            if pair["reference"].startswith("sqlspec-") and _channel_group(pair["reference"], databases)
        ]
        rows: list[list[str]] = []
        for key, label, formatter, with_ratio in CHANNEL_ROWS:
            cells = [formatter(backends[kind][key]) if kind in backends else DASH for kind in kinds]
            cells += [f"**{fmt_ratio(pair['ours_over_reference'][key])}**" if with_ratio else "" for pair in pairs]
            rows.append([label, *cells])
        headers = ["metric", *[f"`{kind}`" for kind in kinds]]
        headers += [_pair_label(pair["ours"], pair["reference"]) for pair in pairs]
        lines += ["", f"**{title}**", "", *table(headers, rows)]
    notes = [f"`{kind}`: {why}" for kind, why in data["skipped"].items()]
    notes += [f"`{kind}`: {note}" for kind, found in backends.items() for note in found["notes"]]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    return lines


def channels_processes_section(data: dict[str, Any]) -> list[str]:
    """Publisher and subscriber in different OS processes (this package only)."""
    params = data["params"]
    kinds = data["kinds"]
    lines = [
        f"A subscriber process subscribes {params['channels']} channels on the publisher's database; "
        f"{params['messages']} messages are published after random 0-{params['pause_max_s'] * 1000:.0f} ms pauses "
        "and their publish→receive latency measured (one machine, one clock); idle queries are the subscriber's table "
        f"reads and prunes per second over {params['idle_s']} s with nothing published. This package only: sqlspec's "
        "backend has no counterpart in this run, so there is no ratio column.",
        "",
    ]
    rows = [
        ["p50 latency, ms", *[fmt_ms(kinds[kind]["p50_ms"]) for kind in kinds]],
        ["max latency, ms", *[fmt_ms(kinds[kind]["max_ms"]) for kind in kinds]],
        ["idle table queries/s", *[f"{num(kinds[kind]['idle_reads_per_s']) or 0:.2f}" for kind in kinds]],
    ]
    lines += table(["litestar-sqlspec", *[f"`{kind}`" for kind in kinds]], rows)
    return lines


SECTIONS = {
    "di": di_section,
    "store": store_section,
    "store_c32": store_section,
    "channels": channels_section,
    "channels_processes": channels_processes_section,
}


def render_markdown(
    results: dict[str, dict[str, Any]],
    meta: dict[str, Any],
    machine: dict[str, str],
    versions: dict[str, str],
    chart_name: str,
) -> str:
    """The whole report: header, machine and versions, the chart, one section per run."""
    quick = bool(meta["quick"]) or any(bool(data.get("quick")) for data in results.values())
    lines = [
        "<!-- Generated by `make bench` (scripts/bench_report.py) from the JSON the bench/ scripts write."
        " Do not edit by hand: rerun `make bench`. -->",
        "",
        "# Benchmarks" + (" — QUICK RUN, NOT FOR CITING" if quick else ""),
        "",
    ]
    if quick:
        lines += [QUICK_BANNER, ""]
    lines += [
        f"Generated by `make {'bench-quick' if quick else 'bench'}` — do not edit by hand. Every number below comes "
        "from one run of the scripts in "
        "`bench/`, each measuring this package (litestar-sqlspec) against sqlspec's own Litestar extension and "
        "anchors in the same process, interleaved round by round, so the ratios compare like with like on this "
        "machine; absolute numbers depend on the machine.",
        "",
        f"- Date: {meta['started_utc']}; total run time {meta['total_seconds']:.0f} s",
        *[f"- {key}: {value}" for key, value in machine.items()],
        "",
        "| package | version |",
        "|:---|:---|",
        *[f"| {name} | {value} |" for name, value in versions.items()],
        "",
        "## Ratios at a glance",
        "",
        f"![litestar-sqlspec ÷ sqlspec per operation and benchmark]({chart_name})",
        "",
        "Bars are litestar-sqlspec ÷ sqlspec's extension on a log scale, drawn from 1.0 (parity): above 1 this "
        "package is faster. Channel latencies are inverted (sqlspec's latency ÷ ours) so that above 1 means better "
        "there too; the tables give the plain ratios.",
    ]
    for number, run in enumerate(RUNS, start=1):
        meta_run = next((item for item in meta["runs"] if item["key"] == run.key), None)
        command = f"`{meta_run['command']}`, {meta_run['seconds']:.0f} s" if meta_run else f"`{run.script}`"
        lines += ["", f"## {number}. {run.title}", "", f"Command: {command}.", ""]
        lines += SECTIONS[run.key](results[run.key])
    return "\n".join(lines) + "\n"


# the chart


def chart_panels(results: dict[str, dict[str, Any]]) -> list[tuple[str, list[str], dict[str, list[float | None]]]]:
    """Per panel: title, operation labels, and per series (config or pair) the ratio for each operation."""
    panels: list[tuple[str, list[str], dict[str, list[float | None]]]] = []
    di = results["di"]
    panels.append(
        (
            f"Dependency injection — requests/s (concurrency {di['concurrency']})",
            list(DI_SCENARIOS),
            {
                kind: [num(per_kind[s]["ours_vs_reference"]) for s in DI_SCENARIOS]
                for kind, per_kind in di["kinds"].items()
            },
        )
    )
    for key in ("store", "store_c32"):
        store = results[key]
        panels.append(
            (
                f"Store — operations/s ({store['params']['mode']})",
                list(STORE_OPS.values()),
                {kind: [num(store["ratios"][kind][op]) for op in STORE_OPS] for kind in store["params"]["kinds"]},
            )
        )
    channels = results["channels"]
    series: dict[str, list[float | None]] = {}
    for pair in channels["pairs"]:
        if not pair["reference"].startswith("sqlspec-"):
            continue
        values: list[float | None] = []
        for metric in CHART_CHANNEL_METRICS:
            value = num(pair["ours_over_reference"][metric])
            # latency: lower is better, so the chart shows reference ÷ ours
            throughput = metric.endswith("msgs_per_s")
            values.append(None if value is None or value == 0 else (value if throughput else 1 / value))
        series[f"{pair['ours']} vs {pair['reference']}"] = values
    panels.append(("Channels — speed (latency inverted: sqlspec ÷ ours)", list(CHART_CHANNEL_METRICS.values()), series))
    return panels


def render_chart(results: dict[str, dict[str, Any]], path: Path, *, quick: bool) -> None:
    """One figure, a panel per benchmark: grouped bars of ours ÷ sqlspec per operation, log scale, a line at 1.0."""
    matplotlib.use("Agg")
    panels = chart_panels(results)
    figure = Figure(figsize=(15, 10.5), layout="constrained")
    axes = figure.subplots(2, 2).flatten()
    for ax, (title, operations, series) in zip(axes, panels, strict=True):
        values = [value for column in series.values() for value in column if value is not None and value > 0]
        low = min([0.5, *[value / 2.5 for value in values]])
        high = max([2.0, *[value * 2.5 for value in values]])  # room for the value labels above the bars
        width = 0.8 / max(len(series), 1)
        for index, (name, column) in enumerate(series.items()):
            positions = [position + (index - (len(series) - 1) / 2) * width for position in range(len(operations))]
            heights = [(value - 1) if value else 0.0 for value in column]
            color = f"C{index}"
            ax.bar(positions, heights, width=width * 0.92, bottom=1.0, color=color, label=name)
            for position, value in zip(positions, column, strict=True):
                text = "n/a" if value is None else (f"{value:.2f}" if value < 10 else f"{value:.0f}")
                ax.annotate(
                    text,
                    (position, value if value else 1.0),
                    xytext=(0, 2 if (value or 1.0) >= 1 else -2),
                    textcoords="offset points",
                    ha="center",
                    va="bottom" if (value or 1.0) >= 1 else "top",
                    fontsize=7,
                    rotation=90,
                )
        ax.axhline(1.0, color="black", linewidth=1)
        ax.set_yscale("log")
        ax.set_ylim(low, high)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(range(len(operations)), operations)
        ax.set_title(title, fontsize=11)
        ax.set_ylabel("litestar-sqlspec ÷ sqlspec  (> 1: ours better)")
        ax.grid(axis="y", which="major", alpha=0.3)
        longest = max((len(name) for name in series), default=0)
        ax.legend(
            fontsize=8,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.08),
            ncols=len(series) if longest < 20 else 2,
            frameon=False,
        )
    title = "litestar-sqlspec vs sqlspec's Litestar extension — ratios from one interleaved run"
    if quick:
        title += "\nQUICK RUN — NOT FOR CITING"
    figure.suptitle(title, fontsize=13, color="firebrick" if quick else "black")
    figure.savefig(path, dpi=150, metadata={"Software": None})


# main


def main(argv: list[str] | None = None) -> None:
    """Run the benchmarks (or read kept JSON) and write the Markdown report and the chart."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script (numbers not for citing)")
    parser.add_argument("--json-dir", type=Path, help="keep the scripts' JSON here (default: a temporary directory)")
    parser.add_argument("--from-json", type=Path, help="render from a kept --json-dir instead of running anything")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md", help="the Markdown report")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as scratch:
        if args.from_json:
            json_dir = args.from_json
            meta = json.loads((json_dir / META_FILE).read_text())
        else:
            json_dir = args.json_dir or Path(scratch)
            meta = run_benchmarks(json_dir, quick=args.quick)
        results = load_results(json_dir)
    quick = bool(meta["quick"]) or any(bool(data.get("quick")) for data in results.values())
    chart = args.out.with_suffix(".png")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    render_chart(results, chart, quick=quick)
    args.out.write_text(render_markdown(results, meta, machine_facts(), package_versions(), chart.name))
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out} and {chart.name}")


if __name__ == "__main__":
    main()
