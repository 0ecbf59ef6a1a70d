"""Correlation ids: one per request, bound for sqlspec's observability and echoed in a response header.

``CorrelationMiddleware`` reads the id from the first configured request header that carries a usable value (for
``traceparent``, its W3C trace id), else generates one; binds it to sqlspec's ``CorrelationContext`` (which sqlspec's
statement observers, telemetry and SQL commenter read) for the duration of the request; keeps it in the request
scope's state under ``CORRELATION_STATE_KEY``; and echoes it in a response header. ``CorrelationSendHook`` adds the
same header to the responses Litestar makes without running the app's middleware (unknown path, method not allowed,
errors raised by middleware).
"""

import os
import re
from collections.abc import Iterable, Sequence
from typing import Any, cast

from litestar.config.app import AppConfig
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlspec.exceptions import ImproperConfigurationError
from sqlspec.utils.correlation import correlation_id_var

__all__ = (
    "CORRELATION_STATE_KEY",
    "DEFAULT_CORRELATION_HEADER",
    "DEFAULT_CORRELATION_HEADERS",
    "DEFAULT_MAX_LENGTH",
    "TRACE_HEADERS",
    "CorrelationMiddleware",
    "CorrelationSendHook",
    "add_correlation",
    "extract_correlation_id",
    "is_header_name",
    "new_correlation_id",
)

CORRELATION_STATE_KEY = "sqlspec_correlation_id"
"""Key of the request's correlation id in the ASGI scope's ``state``."""
DEFAULT_CORRELATION_HEADER = "x-request-id"
"""Request header read first, and response header the id is echoed in, unless configured otherwise."""
TRACE_HEADERS: tuple[str, ...] = (
    "x-correlation-id",
    "traceparent",
    "x-cloud-trace-context",
    "x-amzn-trace-id",
    "x-b3-traceid",
    "x-client-trace-id",
)
"""Tracing headers read after the configured ones when ``auto_trace_headers`` is on."""
DEFAULT_CORRELATION_HEADERS: tuple[str, ...] = (DEFAULT_CORRELATION_HEADER, *TRACE_HEADERS)
"""Headers a ``CorrelationMiddleware`` reads when given none."""
DEFAULT_MAX_LENGTH = 128
"""Longest correlation id taken from a request header; longer values are cut."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field-name
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")
# W3C trace context: version-traceid-parentid-flags; versions after 00 may append fields.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?", re.DOTALL)
_ZERO_TRACE_ID = "0" * 32
_ZERO_PARENT_ID = "0" * 16


def is_header_name(value: object) -> bool:
    """Whether ``value`` is a non-empty string that is a valid HTTP header name (an RFC 9110 token).

    Args:
        value: the candidate header name.

    Returns:
        ``True`` for a valid header name.
    """
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def _trace_id(traceparent: str) -> str | None:
    match = _TRACEPARENT.fullmatch(traceparent)
    if match is None:
        return None
    version, trace_id, parent_id, _flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    if trace_id == _ZERO_TRACE_ID or parent_id == _ZERO_PARENT_ID:
        return None
    return trace_id


def _usable(name: str, raw: str, max_length: int) -> str | None:
    value = raw.strip()
    if name == "traceparent":
        trace_id = _trace_id(value)
        return None if trace_id is None else trace_id[:max_length]
    # Dropping control and non-ASCII characters keeps a forged id from splitting or spoofing log lines.
    value = _UNPRINTABLE.sub("", value).strip()[:max_length].rstrip()
    return value or None


def extract_correlation_id(
    headers: Iterable[tuple[bytes, bytes]], names: Sequence[str], *, max_length: int = DEFAULT_MAX_LENGTH
) -> str | None:
    """Return the correlation id carried by request headers, or ``None``.

    Headers are tried in the order of ``names``, and each header's values in the order they were sent; the first
    usable value wins. A value is stripped of surrounding whitespace, of control and non-ASCII characters, and cut
    to ``max_length``; an empty result is not usable. ``traceparent`` yields its trace id, and is not usable when
    malformed or when its trace or parent id is all zeros.

    Args:
        headers: the raw ASGI headers of the request.
        names: header names, in priority order.
        max_length: longest id returned.

    Returns:
        The correlation id, or ``None`` when no header carries a usable one.
    """
    return _first_usable(headers, _priorities(names), max_length)


def _priorities(names: Iterable[str]) -> dict[bytes, int]:
    """Lowercase header names as bytes (as ASGI sends them) -> their rank; the first of duplicates keeps its rank."""
    ranks: dict[bytes, int] = {}
    for name in names:
        ranks.setdefault(name.lower().encode("latin-1"), len(ranks))
    return ranks


def _first_usable(headers: Iterable[tuple[bytes, bytes]], priorities: dict[bytes, int], max_length: int) -> str | None:
    found = [
        (priorities[key], order, key, value)
        for order, (raw_name, value) in enumerate(headers)
        if (key := raw_name.lower()) in priorities
    ]
    for _, _, key, value in sorted(found):
        if (usable := _usable(key.decode("latin-1"), value.decode("latin-1"), max_length)) is not None:
            return usable
    return None


_ECHOED_KEY = "_sqlspec_correlation_echoed"  # set in the scope's state by the middleware once it added the header


def new_correlation_id() -> str:
    """A new random id: 128 bits from the OS, as 32 hex digits (cheaper than building a ``uuid.UUID``)."""
    return os.urandom(16).hex()


def _scope_correlation_id(scope: Scope, priorities: dict[bytes, int], max_length: int) -> str:
    """The id already kept in the scope's state, else the request's (or a new) one, which is then kept there."""
    state: dict[str, Any] = scope.setdefault("state", {})
    existing = state.get(CORRELATION_STATE_KEY)
    if isinstance(existing, str) and existing:
        return existing
    correlation_id = _first_usable(scope.get("headers") or (), priorities, max_length) or new_correlation_id()
    state[CORRELATION_STATE_KEY] = correlation_id
    return correlation_id


def _with_header(message: Message, name: bytes, value: str) -> None:
    headers: list[tuple[bytes, bytes]] = list(cast("Iterable[tuple[bytes, bytes]]", message.get("headers") or ()))
    for key, _ in headers:
        if key.lower() == name:
            return
    headers.append((name, value.encode("latin-1")))
    message["headers"] = headers  # type: ignore[typeddict-unknown-key]


class _Options:
    """The checked options shared by ``CorrelationMiddleware`` and ``CorrelationSendHook``."""

    __slots__ = ("max_length", "priorities", "response_header")

    def __init__(self, headers: Iterable[str], response_header: str, max_length: object) -> None:
        for header in headers:
            if not is_header_name(header):
                msg = f"CorrelationMiddleware: {header!r} is not a valid HTTP header name"
                raise ImproperConfigurationError(msg)
        if not is_header_name(response_header):
            msg = f"CorrelationMiddleware: response_header={response_header!r} is not a valid HTTP header name"
            raise ImproperConfigurationError(msg)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            msg = f"CorrelationMiddleware: max_length={max_length!r} must be a positive int"
            raise ImproperConfigurationError(msg)
        self.priorities = _priorities(headers)
        self.response_header = response_header.lower().encode("latin-1")
        self.max_length = max_length

    def correlation_id(self, scope: Scope) -> str:
        return _scope_correlation_id(scope, self.priorities, self.max_length)


class CorrelationMiddleware:
    """ASGI middleware that gives every HTTP and WebSocket connection a correlation id.

    The id is the first usable value among the request headers ``headers`` (see ``extract_correlation_id``), else
    a new one from ``new_correlation_id()``. It is bound to sqlspec's ``CorrelationContext`` while the
    request runs (the previous id is restored afterwards), kept in ``scope["state"]`` under
    ``CORRELATION_STATE_KEY``, and, for HTTP, added to the response as ``response_header`` unless the response
    already has that header. When the scope's state already holds an id (an outer instance set it), that id is used.

    Args:
        app: the ASGI app to call.
        headers: request header names to read, in priority order.
        response_header: response header the id is echoed in.
        max_length: longest id taken from a request header.

    Raises:
        ImproperConfigurationError: for an invalid header name or a ``max_length`` that is not a positive int.
    """

    __slots__ = ("_app", "_options")

    def __init__(
        self,
        app: ASGIApp,
        *,
        headers: tuple[str, ...] = DEFAULT_CORRELATION_HEADERS,
        response_header: str = DEFAULT_CORRELATION_HEADER,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> None:
        self._app = app
        self._options = _Options(headers, response_header, max_length)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Bind the connection's correlation id while ``app`` handles it."""
        scope_type: str = scope["type"]  # typed as Litestar's scopes, but any ASGI app may mount this
        if scope_type not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        correlation_id = self._options.correlation_id(scope)
        if scope_type == "http":
            send = self._echoing(scope, send, correlation_id)
        token = correlation_id_var.set(correlation_id)  # CorrelationContext's variable, restored afterwards
        try:
            await self._app(scope, receive, send)
        finally:
            correlation_id_var.reset(token)

    def _echoing(self, scope: Scope, send: Send, correlation_id: str) -> Send:
        name = self._options.response_header

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                _with_header(message, name, correlation_id)
                scope["state"][_ECHOED_KEY] = True
            await send(message)

        return send_with_id


class CorrelationSendHook:
    """A Litestar ``before_send`` hook that adds the correlation id header to responses that lack it.

    Litestar answers an unknown path or a wrong method, and errors raised by middleware, without passing through
    ``CorrelationMiddleware``'s ``send``; this hook runs for every message the app sends. It uses the id kept in the
    scope's state, else reads or generates one as ``CorrelationMiddleware`` does.

    Args:
        headers: request header names to read, in priority order.
        response_header: response header the id is added as.
        max_length: longest id taken from a request header.
    """

    __slots__ = ("_options",)

    def __init__(
        self,
        *,
        headers: tuple[str, ...] = DEFAULT_CORRELATION_HEADERS,
        response_header: str = DEFAULT_CORRELATION_HEADER,
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> None:
        self._options = _Options(headers, response_header, max_length)

    async def __call__(self, message: Message, scope: Scope) -> None:
        """Add the header to an ``http.response.start`` message that has none."""
        if message["type"] != "http.response.start" or scope["state"].pop(_ECHOED_KEY, False):
            return
        options = self._options
        _with_header(message, options.response_header, options.correlation_id(scope))


def _find_correlation_middleware(middleware: Iterable[Any]) -> Any:
    for entry in middleware:
        candidate = entry.middleware if isinstance(entry, DefineMiddleware) else entry
        if isinstance(candidate, type) and issubclass(candidate, CorrelationMiddleware):
            return entry
    return None


def add_correlation(app_config: AppConfig, headers: tuple[str, ...], *, response_header: str) -> None:
    """Put a ``CorrelationMiddleware`` first in the app's middleware and a ``CorrelationSendHook`` in ``before_send``.

    A ``CorrelationMiddleware`` already in the app's middleware (bare or in a ``DefineMiddleware``) is kept as it is
    and no second one is added; the hook then uses its options. With no middleware to add (``headers`` empty) and
    none already there, nothing is added.

    Args:
        app_config: the app's config, being built.
        headers: request header names to read, in priority order; empty when every database config opted out.
        response_header: response header the id is echoed in.
    """
    existing = _find_correlation_middleware(app_config.middleware)
    if existing is None:
        if not headers:
            return
        options: dict[str, Any] = {"headers": headers, "response_header": response_header}
        app_config.middleware.insert(0, DefineMiddleware(CorrelationMiddleware, **options))
    else:
        options = dict(existing.kwargs) if isinstance(existing, DefineMiddleware) else {}
    if not any(isinstance(hook, CorrelationSendHook) for hook in app_config.before_send):
        app_config.before_send.append(CorrelationSendHook(**options))
