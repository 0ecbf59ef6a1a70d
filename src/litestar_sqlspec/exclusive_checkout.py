"""Exclusive per-request checkout of connections, for configs whose own pool hands out one connection per thread.

``SqliteConfig``'s and ``DuckDBConfig``'s pools hand out one connection per *thread*. Requests of an async server hop
between worker threads, so two concurrent requests would share one connection (and one transaction). This pool gives
each checkout a connection of its own, configured exactly like the config's pooled ones (``create_connection``), and
keeps a few idle ones for reuse.
"""

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec._drivers import DriverFacts
from litestar_sqlspec.settings import config_label

__all__ = ("ExclusiveCheckoutPool",)

DEFAULT_MAX_IDLE = 16


class ExclusiveCheckoutPool:
    """A free list of connections; each checkout is exclusive until it is returned."""

    __slots__ = ("_closed", "_config", "_facts", "_idle", "_lock", "_max_idle", "checked_out")

    def __init__(self, config: Any, facts: DriverFacts, max_idle: int = DEFAULT_MAX_IDLE) -> None:
        if facts.private_memory is not None and facts.private_memory(config):
            msg = (
                f"{config_label(config)}: a private in-memory SQLite database is visible to one connection only, so "
                "concurrent requests cannot share it. Use a file (connection_config={'database': 'app.db'}) or a "
                "shared in-memory database ({'database': 'file:app?mode=memory&cache=shared', 'uri': True})."
            )
            raise ImproperConfigurationError(msg)
        self._config = config
        self._facts = facts
        self._max_idle = max_idle
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._closed = False
        self.checked_out = 0
        """Connections checked out and not yet returned."""

    def take_idle(self) -> Any | None:
        """Check out an idle connection without blocking; ``None`` when there is none (or the pool is closed)."""
        with self._lock:
            if self._closed or not self._idle:
                return None
            self.checked_out += 1
            return self._idle.pop()

    @contextlib.contextmanager
    def connection(self, taken: Any = None) -> Iterator[Any]:
        """Check a connection out (or hand over one ``take_idle`` returned) and give it back on exit.

        On exit what it left open is rolled back and it is kept for reuse; a connection whose user failed is closed.
        """
        if taken is None:
            with self._lock:
                if self._closed:
                    msg = f"{config_label(self._config)}: the connection pool is closed"
                    raise ImproperConfigurationError(msg)
                taken = self._idle.pop() if self._idle else None
                self.checked_out += 1
        try:
            connection = taken if taken is not None else self._config.create_connection()
            try:
                yield connection
            except BaseException:
                with contextlib.suppress(Exception):
                    connection.close()
                raise
            self._give_back(connection)
        finally:
            with self._lock:
                self.checked_out -= 1

    def _give_back(self, connection: Any) -> None:
        try:
            if self._facts.in_transaction(connection):
                connection.rollback()
        except Exception:  # noqa: BLE001 - a connection that cannot roll back is not reused
            with contextlib.suppress(Exception):
                connection.close()
            return
        with self._lock:
            if not self._closed and len(self._idle) < self._max_idle:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close the idle connections; connections returned later are closed too."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(Exception):
                connection.close()
