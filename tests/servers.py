"""Real servers for end-to-end tests: the Litestar CLI and uvicorn in subprocesses, from the project root."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

__all__ = ("ROOT", "free_port", "litestar_cli", "serving")

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def litestar_cli(app: str, env: dict[str, str], *args: str) -> None:
    """Run ``litestar --app app *args`` and fail with its output unless it succeeds."""
    result = subprocess.run(
        [sys.executable, "-m", "litestar", "--app", app, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@contextmanager
def serving(
    app: str, env: dict[str, str], log: Path, *, port: int | None = None, workers: int = 1, ready: str = "/"
) -> Iterator[str]:
    """Serve ``app`` with uvicorn until the block ends; yields its base URL once ``GET ready`` answers 200."""
    port = port or free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--workers", str(workers)]
    with log.open("ab") as output:
        server = subprocess.Popen(
            [*command, "--log-level", "warning", "--timeout-graceful-shutdown", "5"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}{ready}", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(log.read_text())
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
