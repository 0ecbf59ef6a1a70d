"""One config at run time: its pool's life, its request connections and its dependency providers.

This is the async facade over the flavour layers: an async config awaits ``_async`` operations on the loop, a sync
config runs the generated ``_sync`` twins in worker threads. The flavour is chosen once, here, by ``config.is_async``.
"""

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import anyio
from litestar.datastructures import State
from litestar.exceptions import ServiceUnavailableException
from litestar.types import Scope
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import _compat_async, _compat_sync
from litestar_sqlspec._async import (
    AsyncConnectionLease,
    close_pool_async,
    open_pool_async,
    replace_dead_connections_async,
)
from litestar_sqlspec._drivers import DriverFacts, driver_for
from litestar_sqlspec._sync import (
    SyncConnectionLease,
    close_pool_sync,
    open_pool_sync,
    replace_dead_connections_sync,
)
from litestar_sqlspec.exclusive_checkout import ExclusiveCheckoutPool
from litestar_sqlspec.settings import ConfigSettings, read_settings

__all__ = (
    "LEASES_KEY",
    "LOOP_KEY",
    "ConfigRuntime",
    "Slot",
    "build_runtimes",
    "mark_request_failed",
    "request_slots",
)

logger = logging.getLogger("litestar_sqlspec")

LEASES_KEY = "_litestar_sqlspec_leases"
"""Key in ``scope["state"]`` of the request's ``{connection_key: Slot}`` mapping, set by the middleware."""
LOOP_KEY = "_litestar_sqlspec_loop"
"""Key in ``scope["state"]`` of the request's event loop, for sync code running in worker threads."""


class Flavour(NamedTuple):
    """What the facade needs from one flavour's layer."""

    lease_type: Callable[..., Any]
    run: Callable[..., Awaitable[Any]]
    open_pool: Callable[[Any], Any]
    close_pool: Callable[[Any], Any]
    replace_dead_connections: Callable[[Any], Any]


FLAVOURS = {
    True: Flavour(
        AsyncConnectionLease, _compat_async.run, open_pool_async, close_pool_async, replace_dead_connections_async
    ),
    False: Flavour(
        SyncConnectionLease, _compat_sync.run, open_pool_sync, close_pool_sync, replace_dead_connections_sync
    ),
}


@dataclass(slots=True)
class Slot:
    """A request's claim on one config's connection; ``lease`` is set once the connection is checked out."""

    runtime: "ConfigRuntime"
    lease: Any = None
    ready: anyio.Event | None = None
    error: BaseException | None = None


def request_slots(scope: Scope, label: str) -> dict[str, Slot]:
    """The request's connection slots, as laid out by the plugin's middleware."""
    try:
        slots: dict[str, Slot] = scope["state"][LEASES_KEY]
    except KeyError:
        msg = (
            f"{label}: no request connection can be provided here: this is not inside a request handled by "
            "SQLSpecPlugin's middleware (is the plugin registered on this app, and is the request still running?)"
        )
        raise ImproperConfigurationError(msg) from None
    return slots


class ConfigRuntime:
    """The plugin's handle on one database config."""

    __slots__ = (
        "_checkout",
        "_driver",
        "_flavour",
        "_limiter",
        "_limiter_timeout",
        "_pool_closed",
        "config",
        "settings",
    )

    def __init__(self, config: Any) -> None:
        self.config = config
        self.settings: ConfigSettings = read_settings(config)
        self._flavour = FLAVOURS[bool(config.is_async)]
        self._driver: DriverFacts = driver_for(config)
        self._checkout = ExclusiveCheckoutPool(config, self._driver) if self._driver.exclusive_checkout else None
        self._limiter: anyio.Semaphore | None = None
        self._limiter_timeout = math.inf
        self._pool_closed = False

    @property
    def is_async(self) -> bool:
        """Whether the config's driver is async."""
        return bool(self.config.is_async)

    @property
    def checkout_pool(self) -> ExclusiveCheckoutPool | None:
        """The exclusive checkout pool the plugin uses for configs whose pool shares one connection per thread."""
        return self._checkout

    @property
    def has_pool(self) -> bool:
        """Whether the config pools connections (NoPool configs open one per request)."""
        return bool(self.config.supports_connection_pooling)

    async def startup(self, state: State) -> None:
        """Create the pool and publish it at ``state[pool_key]``."""
        try:
            pool = await self._flavour.run(self._flavour.open_pool, self.config)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._close_quietly()
            raise
        self._pool_closed = False
        if self._checkout is not None:
            self._checkout = ExclusiveCheckoutPool(self.config, self._driver)
        self._limit_threads_to(pool)
        if self.has_pool:
            state[self.settings.pool_key] = pool

    async def shutdown(self, state: State) -> None:
        """Close the pool; later requests get a clear error instead of a silently re-created pool."""
        self._pool_closed = True
        state.pop(self.settings.pool_key, None)
        if self._checkout is not None:
            self._checkout.close()
        await self._flavour.run(self._flavour.close_pool, self.config)

    async def _close_quietly(self) -> None:
        try:
            await self._flavour.run(self._flavour.close_pool, self.config)
        except Exception:
            logger.debug("%s: closing a pool that failed to open also failed", self.settings.label, exc_info=True)

    def _limit_threads_to(self, pool: Any) -> None:
        # Pools that block a worker thread while a checkout waits (psycopg sync), or fail it at once (mysql-connector),
        # are gated with an async semaphore of the pool's size: waiting requests hold no worker thread (threads are
        # also needed to give connections back, so blocking them all would deadlock until the pool timeout).
        limit = self._driver.checkout_limit
        size = limit(pool) if limit is not None and pool is not None else None
        if size is None and not self.is_async:  # a waiting sync checkout holds its worker thread (psycopg)
            max_size = getattr(pool, "max_size", None)
            size = max_size if isinstance(max_size, int) else None
        if size is None or size < 1:
            self._limiter = None
            return
        # one gate with the store's and channels' statements where they wait on the loop too
        self._limiter = _compat_async.pool_gate(pool, size) if self.is_async else anyio.Semaphore(size)
        timeout = getattr(pool, "timeout", None)
        self._limiter_timeout = float(timeout) if isinstance(timeout, int | float) else math.inf

    def _open_context(self) -> Any:
        if self._checkout is not None:
            return self._checkout.connection()
        return self.config.provide_connection()

    async def lease(self, scope: Scope) -> Any:
        """The request's lease on this config's connection: checked out on first use, then shared."""
        slots = request_slots(scope, self.settings.label)
        key = self.settings.connection_key
        slot = slots.get(key)
        if slot is not None:
            if slot.lease is None:
                await self._wait_for(slot)
            return slot.lease
        slot = slots[key] = Slot(self)
        try:
            slot.lease = await self._acquire()
        except BaseException as exc:
            del slots[key]
            slot.error = exc
            raise
        finally:
            if slot.ready is not None:
                slot.ready.set()
        return slot.lease

    async def _wait_for(self, slot: Slot) -> None:
        # Litestar resolves independent dependencies concurrently: the connection and the session of one request
        # may ask at once, and must get the same connection.
        if slot.ready is None:
            slot.ready = anyio.Event()
        await slot.ready.wait()
        if slot.error is not None:
            msg = f"{self.settings.label}: acquiring the request's connection failed"
            raise ImproperConfigurationError(msg) from slot.error

    def lease_blocking(self, scope: Scope) -> Any:
        """The request's lease, checked out by this call on the calling thread, blocking it (sync configs only).

        For sync code that runs on the request's event loop: the loop is blocked while a connection is opened or
        taken from the pool, exactly as the sync call asks. Blocking the loop cannot wait for anything the loop
        itself has to complete, so two cases are refused instead: another task of this request is checking the
        connection out right now (its checkout finishes through the loop: a semaphore, a worker thread's result
        handed back by the loop), and a pool whose every connection is leased (they are given back by the loop).
        """
        slots = request_slots(scope, self.settings.label)
        key = self.settings.connection_key
        slot = slots.get(key)
        if slot is not None:
            if slot.lease is None:
                msg = (
                    f"{self.settings.label}: another task of this request is checking its connection out right now; "
                    "a sync call on the event loop cannot wait for it (the checkout completes through the blocked "
                    "loop). Use `await plugin.provide_request_session_async(...)` (or "
                    "provide_request_connection_async) from async code"
                )
                raise ImproperConfigurationError(msg)
            return slot.lease
        slot = slots[key] = Slot(self)
        try:
            slot.lease = self._acquire_blocking()
        except BaseException as exc:
            del slots[key]
            slot.error = exc
            raise
        return slot.lease

    def _acquire_blocking(self) -> Any:
        lease = self._idle_lease()
        if lease is not None:
            return lease
        lease = self._flavour.lease_type(self.config, self._open_context, self._driver)
        limiter = self._limiter
        if limiter is not None:
            try:
                limiter.acquire_nowait()  # no waiting: leased connections are given back by the blocked loop
            except anyio.WouldBlock:
                logger.warning(
                    "%s: every connection of the pool is in use and a sync call on the event loop cannot wait for "
                    "one; await provide_request_session_async instead",
                    self.settings.label,
                )
                raise ServiceUnavailableException("No database connection is available; try again later.") from None
        try:
            lease.acquire()
        except BaseException:
            if limiter is not None:
                limiter.release()
            raise
        return lease

    def _idle_lease(self) -> Any:
        """Refuse a closed pool; then a lease on an idle exclusive connection, taken without I/O (``None``: none)."""
        if self._pool_closed:
            msg = f"{self.settings.label}: the connection pool is closed (the application has shut down)"
            raise ImproperConfigurationError(msg)
        if self._checkout is not None and (idle := self._checkout.take_idle()) is not None:
            lease = self._flavour.lease_type(self.config, partial(self._checkout.connection, idle), self._driver)
            lease.acquire()
            return lease
        return None

    async def _acquire(self) -> Any:
        lease = self._idle_lease()  # an idle exclusive connection changes hands without I/O: no worker thread needed
        if lease is not None:
            return lease
        lease = self._flavour.lease_type(self.config, self._open_context, self._driver)
        limiter = self._limiter
        if limiter is None:
            await self._flavour.run(lease.acquire)
            return lease
        with anyio.move_on_after(self._limiter_timeout) as waited:
            await limiter.acquire()
        if waited.cancelled_caught:
            logger.warning(
                "%s: no database connection became free within %gs", self.settings.label, self._limiter_timeout
            )
            raise ServiceUnavailableException("No database connection is available; try again later.")
        try:
            await self._flavour.run(lease.acquire)
        except BaseException:
            limiter.release()
            raise
        return lease

    async def finish(self, lease: Any, commit: bool) -> None:
        """End the lease's transaction (commit or roll back) and release its connection, on every path."""
        try:
            if self._checkout is not None and lease.in_transaction() is False:
                lease.finish(commit)  # nothing to end, and a SQLite connection goes back to the free list without I/O
            else:
                await self._flavour.run(lease.finish, commit)
        except BaseException:
            if lease.active:  # interrupted (cancelled) midway: complete the release, shielded from cancellation
                with anyio.CancelScope(shield=True):
                    try:
                        await self._flavour.run(lease.finish, False)
                    except Exception:
                        logger.warning("%s: releasing a connection failed", self.settings.label, exc_info=True)
            raise
        finally:
            if self._limiter is not None:
                self._limiter.release()
        if lease.lost:
            await self._flavour.run(self._flavour.replace_dead_connections, self.config)

    async def provide_pool(self, state: State) -> Any:
        """Dependency provider of the pool: the plugin's, else (``manage_lifespan=False``) the config's own."""
        pool = state.get(self.settings.pool_key)
        if pool is None:
            pool = self.config.connection_instance
        if pool is None:
            msg = (
                f"{self.settings.label}: no pool is open: not at app.state[{self.settings.pool_key!r}] (is the app "
                "started?) nor on the config (with manage_lifespan=False, open it in your own lifespan)"
            )
            raise ImproperConfigurationError(msg)
        return pool

    async def provide_connection(self, scope: Scope) -> Any:
        """Dependency provider of the request's connection."""
        return (await self.lease(scope)).connection

    async def provide_session(self, scope: Scope) -> Any:
        """Dependency provider of the request's driver session."""
        return (await self.lease(scope)).driver()


async def mark_request_failed(exception: Exception, scope: Scope) -> None:
    """``after_exception`` hook: a request that raised never commits, whatever status its error handler answers."""
    slots: dict[str, Slot] | None = scope["state"].get(LEASES_KEY)
    for slot in (slots or {}).values():
        if slot.lease is not None:
            slot.lease.failed = True


def build_runtimes(configs: list[Any]) -> list[ConfigRuntime]:
    """Validate every config's settings and the uniqueness of their dependency keys across configs."""
    runtimes: list[ConfigRuntime] = []
    owners: dict[str, ConfigRuntime] = {}
    for config in configs:
        runtime = ConfigRuntime(config)
        settings = runtime.settings
        if not settings.disable_di:
            keys = settings.dependency_keys if runtime.has_pool else (settings.connection_key, settings.session_key)
            for key in keys:
                other = owners.setdefault(key, runtime)
                if other is not runtime:
                    msg = (
                        f'{settings.label}: extension_config["litestar"] dependency key {key!r} is already '
                        f"used by {other.settings.label}; give each config its own connection_key, pool_key and "
                        "session_key"
                    )
                    raise ImproperConfigurationError(msg)
        runtimes.append(runtime)
    return runtimes
