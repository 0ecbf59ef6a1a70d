"""The single exit path of every request's connections."""

import asyncio
import logging

import anyio
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from litestar_sqlspec._runtime import LEASES_KEY, LOOP_KEY, Slot

__all__ = ("FinishAtResponseStart", "TransactionMiddleware")

logger = logging.getLogger("litestar_sqlspec")

_NORMAL_CLOSE = 1000


async def finish_slots(slots: dict[str, Slot], status: int | None) -> None:
    """End every checked-out connection's transaction and release it.

    Commits where the config's commit mode says so for ``status`` (``None``: the request failed, roll back) and the
    request did not fail. Rollbacks run first, so that their locks are gone before anything commits (two SQLite
    connections of one request would otherwise wait on each other). Every connection is released even when a
    commit fails; after a failed commit the rest roll back, and the first failure is raised.
    """
    decided = [
        (key, slot, status is not None and not slot.lease.failed and slot.runtime.settings.commits(status))
        for key, slot in slots.items()
        if slot.lease is not None
    ]
    decided.sort(key=lambda item: item[2])
    first_error: Exception | None = None
    for key, slot, commit in decided:
        # Popped one at a time: if this coroutine is cancelled midway, the rest are still there for the caller's
        # cleanup (the one being finished completes its own release).
        del slots[key]
        runtime = slot.runtime
        try:
            await runtime.finish(slot.lease, commit and first_error is None)
        except Exception as exc:
            logger.error("%s: commit failed", runtime.settings.label, exc_info=True)
            first_error = first_error or exc
    if first_error is not None:
        raise first_error


class TransactionMiddleware:
    """Ends each request's transactions when the response starts, and releases its connections on every path.

    The status of the response decides commit or rollback (per config commit mode). A commit that fails turns the
    response into an error before anything is sent. Whatever is still checked out when the app returns or raises
    (client gone, error before the response) is rolled back and released; a websocket commits (per commit mode) when
    it closes normally and rolls back otherwise.
    """

    __slots__ = ("app", "capture_loop")

    def __init__(self, app: ASGIApp, capture_loop: bool = False) -> None:
        """Wrap ``app``.

        Args:
            app: the ASGI app to wrap.
            capture_loop: record the event loop in the scope, so that sync code in worker threads can check out a
                sync config's connection through it (``provide_request_session_sync``).
        """
        self.app = app
        self.capture_loop = capture_loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request or websocket (Litestar runs route middleware for no other scope)."""
        slots: dict[str, Slot] = {}
        state = scope["state"]
        state[LEASES_KEY] = slots
        if self.capture_loop:
            state[LOOP_KEY] = asyncio.get_running_loop()

        try:
            await self.app(scope, receive, _finishing_send(scope, slots, send))
        except BaseException:
            del state[LEASES_KEY]  # the request is over: nothing may check a connection out for it any more
            if slots:
                await _finish_quietly(slots, None)
            raise
        del state[LEASES_KEY]
        if slots:
            # An HTTP request that returned without starting a response failed; a websocket that ended without an
            # error (its handler returned, or the client closed) succeeded.
            await _finish_quietly(slots, 200 if scope["type"] == ScopeType.WEBSOCKET else None)


class FinishAtResponseStart:
    """Ends the request's transactions as the response starts, from the innermost layer of the app's middleware.

    ``TransactionMiddleware`` (outermost) owns the request's connections; this one only makes the commit or rollback
    happen before the app's other middleware see the response: a session middleware that saves the session in a SQL
    store on the same SQLite database would otherwise wait for the write lock of the request's own transaction.
    """

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app`` (the route handler's end of the middleware stack)."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request or websocket."""
        slots: dict[str, Slot] | None = scope["state"].get(LEASES_KEY)
        await self.app(scope, receive, send if slots is None else _finishing_send(scope, slots, send))


def _finishing_send(scope: Scope, slots: dict[str, Slot], send: Send) -> Send:
    """``send`` that first ends the transactions of ``slots`` on ``http.response.start`` or ``websocket.close``."""

    async def send_after_finishing(message: Message) -> None:
        if slots:
            if message["type"] == "http.response.start":
                try:
                    await finish_slots(slots, message["status"])
                except Exception:
                    # Nothing was sent: let Litestar's exception handling answer with an error response.
                    ScopeState.from_scope(scope).response_started = False
                    raise
            elif message["type"] == "websocket.close":
                await finish_slots(slots, 200 if message.get("code", _NORMAL_CLOSE) == _NORMAL_CLOSE else None)
        await send(message)

    return send_after_finishing


async def _finish_quietly(slots: dict[str, Slot], status: int | None) -> None:
    # Shielded: after a cancellation every await in the cancelled scope would raise again, which would interrupt the
    # rollback (psycopg then closes the connection) instead of giving the connection back intact.
    try:
        with anyio.CancelScope(shield=True):
            await finish_slots(slots, status)
    except Exception:
        logger.debug("finishing connections after the response raised", exc_info=True)
