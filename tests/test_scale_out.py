"""Several uvicorn worker processes on one PostgreSQL database: a session made through one worker is read through
every other, and a channel message published through any worker reaches the websockets of all of them exactly once."""

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.databases import pg_schema
from tests.servers import serving

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def dsn() -> Iterator[str]:
    """The test database, with a schema of its own (the app creates its store and channels tables there)."""
    with pg_schema("scale") as schema_dsn:
        yield schema_dsn


def _answers_from_every_worker(base: str, count: int, cookies: httpx.Cookies | None = None) -> dict[int, Any]:
    """``GET /me`` on new connections until each of ``count`` workers has answered: ``{pid: its session}``."""
    seen: dict[int, Any] = {}

    def ask(_: int) -> dict[str, Any]:
        with httpx.Client(cookies=cookies, timeout=10) as client:  # a new connection each time
            response = client.get(f"{base}/me")
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body

    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(40):
            for body in pool.map(ask, range(16)):
                seen[body["pid"]] = body["session"]
            if len(seen) == count:
                return seen
    raise AssertionError(f"only workers {sorted(seen)} answered 640 requests; {count} expected")


def _subscribers_on_every_worker(base: str, count: int, stack: ExitStack) -> list[ClientConnection]:
    url = base.replace("http://", "ws://") + "/events"
    sockets: list[ClientConnection] = []
    per_worker: Counter[int] = Counter()
    for _ in range(200):
        # no client keepalive: on a loaded two-core machine the test can outlast its ping deadline; the receive
        # timeouts below bound every wait instead
        client = stack.enter_context(connect(url, open_timeout=10, ping_interval=None))
        per_worker[json.loads(client.recv(timeout=10))["pid"]] += 1
        sockets.append(client)
        if len(per_worker) == count and min(per_worker.values()) >= 2:  # two subscribers on every worker
            return sockets
    raise AssertionError(f"websockets per worker {dict(per_worker)}; two on each of {count} workers expected")


@pytest.mark.parametrize("count", [2, 4])
def test_sessions_and_channels_span_every_worker(dsn: str, count: int, tmp_path: Path) -> None:
    app, env = "tests.scale_out.app:app", {"SCALE_OUT_DSN": dsn}
    with serving(app, env, tmp_path / "uvicorn.log", workers=count, ready="/me") as base:
        first_pids = _answers_from_every_worker(base, count)
        assert all(session == {} for session in first_pids.values())

        login = httpx.post(f"{base}/login", json={"user": "ada"}, timeout=10)
        assert login.status_code == 201
        sessions = _answers_from_every_worker(base, count, cookies=login.cookies)
        assert sessions == {pid: {"user": "ada"} for pid in first_pids}  # made by one worker, read by all

        with ExitStack() as stack:
            sockets = _subscribers_on_every_worker(base, count, stack)
            sent = [f"message {number} {uuid.uuid4().hex}" for number in range(20)]
            with httpx.Client(timeout=10) as client:
                for text in sent:
                    response = client.post(f"{base}/publish", json={"text": text}, headers={"connection": "close"})
                    assert response.status_code == 201
            for subscriber in sockets:
                received = [subscriber.recv(timeout=15) for _ in sent]
                assert received == [text.encode() for text in sent]  # all, once, in order
                with pytest.raises(TimeoutError):
                    subscriber.recv(timeout=0.3)  # and nothing more
