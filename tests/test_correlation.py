"""Correlation ids: read from the request (or generated), bound for sqlspec while the request runs, echoed back."""

import re
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, Request, WebSocket, get, post, websocket
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.params import JSONBody
from litestar.testing import TestClient
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlspec import SQLSpec
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.exceptions import ImproperConfigurationError
from sqlspec.observability import ObservabilityConfig
from sqlspec.utils.correlation import CorrelationContext

from litestar_sqlspec import SQLSpecPlugin
from litestar_sqlspec.correlation import (
    CORRELATION_STATE_KEY,
    CorrelationMiddleware,
    CorrelationSendHook,
    extract_correlation_id,
)
from litestar_sqlspec.settings import read_settings
from tests.apps import make_app
from tests.databases import make_database

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@get("/id")
async def async_id(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {"context": CorrelationContext.get(), "state": request.scope["state"].get(CORRELATION_STATE_KEY)}


@get("/sync-id", sync_to_thread=True)
def sync_id() -> dict[str, Any]:
    return {"context": CorrelationContext.get()}


@post("/echo")
async def echo(data: JSONBody[dict[str, int]]) -> dict[str, int]:
    return data


@get("/boom")
async def boom() -> None:
    raise RuntimeError("boom")


def deny(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    raise NotAuthorizedException


@get("/guarded", guards=[deny])
async def guarded() -> None:
    return None


@websocket("/ws")
async def ws(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    await socket.send_json({"context": CorrelationContext.get()})
    await socket.close()


HANDLERS = [async_id, sync_id, echo, boom, guarded, ws]


def app_with(tmp_path: Path, *configs_options: dict[str, Any], **kwargs: Any) -> Litestar:
    database = make_database("aiosqlite", tmp_path)
    configs = []
    for index, options in enumerate(configs_options or ({},)):
        keys = {f"{kind}_key": f"{kind}_{index}" for kind in ("connection", "pool", "session")} if index else {}
        configs.append(database.config(**options, **keys))
    app, _ = make_app(*configs, route_handlers=kwargs.pop("route_handlers", HANDLERS), **kwargs)
    return app


def is_generated(value: str) -> bool:
    """An id made by ``new_correlation_id``: 32 lowercase hex digits."""
    return re.fullmatch("[0-9a-f]{32}", value) is not None


@pytest.mark.parametrize("path", ["/id", "/sync-id"])
def test_the_request_header_is_echoed_and_bound_in_async_and_sync_handlers(tmp_path: Path, path: str) -> None:
    with TestClient(app_with(tmp_path)) as client:
        response = client.get(path, headers={"X-Request-ID": "req-42"})
    assert response.headers.get_list("x-request-id") == ["req-42"]
    assert response.json()["context"] == "req-42"
    if path == "/id":  # the async handler also reports what the scope's state holds
        assert response.json()["state"] == "req-42"


def test_an_id_is_generated_when_no_header_has_one(tmp_path: Path) -> None:
    with TestClient(app_with(tmp_path)) as client:
        first = client.get("/id", headers={"x-request-id": "   "})
        second = client.get("/id")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(is_generated(each) for each in ids)
    assert ids[0] != ids[1]
    assert [first.json()["context"], second.json()["context"]] == ids


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"traceparent": TRACEPARENT}, TRACE_ID),
        ({"traceparent": TRACEPARENT, "x-request-id": "mine"}, "mine"),
        ({"traceparent": TRACEPARENT, "x-correlation-id": "corr"}, "corr"),
        ({"traceparent": f"00-{'0' * 32}-00f067aa0ba902b7-01", "x-b3-traceid": "b3"}, "b3"),
        ({"traceparent": TRACEPARENT.upper(), "x-b3-traceid": "b3"}, "b3"),
        ({"traceparent": "garbage", "x-client-trace-id": "client"}, "client"),
        ({"x-request-id": "a" * 500}, "a" * 128),
        ({"x-request-id": "ok\x1b[31m\x7fid"}, "ok[31mid"),
        ({"x-request-id": "\x01\x02", "x-correlation-id": "next"}, "next"),
    ],
)
def test_the_id_is_chosen_cleaned_and_capped(tmp_path: Path, headers: dict[str, str], expected: str) -> None:
    with TestClient(app_with(tmp_path)) as client:
        response = client.get("/id", headers=headers)
    assert response.json()["context"] == expected
    assert response.headers["x-request-id"] == expected


def test_extraction_reads_raw_headers_in_priority_order() -> None:
    raw = [(b"x-b", b"\tsecond\r\n"), (b"X-A", b""), (b"x-a", b"  first  ")]
    assert extract_correlation_id(raw, ("x-a", "x-b")) == "first"
    assert extract_correlation_id(raw, ("x-b", "x-a")) == "second"
    assert extract_correlation_id(raw, ("x-c",)) is None
    assert (
        extract_correlation_id([(b"traceparent", TRACEPARENT.encode())], ("traceparent",), max_length=8) == "4bf92f35"
    )
    future = f"01-{TRACE_ID}-00f067aa0ba902b7-01-extra".encode()
    assert extract_correlation_id([(b"traceparent", future)], ("traceparent",)) == TRACE_ID
    for bad in (
        f"00-{TRACE_ID}-00f067aa0ba902b7-01-extra",
        f"ff-{TRACE_ID}-00f067aa0ba902b7-01",
        f"00-{TRACE_ID}-{'0' * 16}-01",
    ):
        assert extract_correlation_id([(b"traceparent", bad.encode())], ("traceparent",)) is None


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [("/nowhere", "GET", 404), ("/id", "DELETE", 405), ("/guarded", "GET", 401), ("/boom", "GET", 500)],
)
def test_error_responses_carry_the_header_exactly_once(tmp_path: Path, path: str, method: str, status: int) -> None:
    with TestClient(app_with(tmp_path)) as client:
        given = client.request(method, path, headers={"x-request-id": "err-1"})
        generated = client.request(method, path)
    assert given.status_code == generated.status_code == status
    assert given.headers.get_list("x-request-id") == ["err-1"]
    assert len(generated.headers.get_list("x-request-id")) == 1
    assert is_generated(generated.headers["x-request-id"])


def test_a_validation_error_carries_the_header(tmp_path: Path) -> None:
    with TestClient(app_with(tmp_path)) as client:
        response = client.post("/echo", json={"a": "not an int"}, headers={"x-request-id": "bad-body"})
    assert response.status_code == 400
    assert response.headers.get_list("x-request-id") == ["bad-body"]


class RejectingMiddleware:
    """Raises 401 before the handler runs: Litestar answers outside the middleware that wrapped ``send``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(CorrelationContext.get())
        raise NotAuthorizedException


seen: list[str | None] = []


def test_a_rejection_by_a_later_middleware_carries_the_bound_id(tmp_path: Path) -> None:
    seen.clear()
    with TestClient(app_with(tmp_path, middleware=[RejectingMiddleware])) as client:
        response = client.get("/id")
    assert response.status_code == 401
    assert response.headers.get_list("x-request-id") == [seen[0]]  # the id bound in the middleware, not a new one
    assert seen[0] is not None


def test_the_correlation_middleware_is_outermost_and_single(tmp_path: Path) -> None:
    app = app_with(tmp_path, {}, {"correlation_header": "x-trace"}, {"enable_correlation_middleware": False})
    definitions = [entry for entry in app.middleware if isinstance(entry, DefineMiddleware)]
    assert definitions[0].middleware is CorrelationMiddleware
    assert [entry.middleware for entry in definitions].count(CorrelationMiddleware) == 1
    headers = definitions[0].kwargs["headers"]
    assert headers[:2] == ("x-request-id", "x-correlation-id")
    assert "x-trace" in headers
    assert len(headers) == len(set(headers))
    assert definitions[0].kwargs["response_header"] == "x-request-id"
    assert [type(hook) for hook in app.before_send] == [CorrelationSendHook]


def test_opting_out_on_every_config_removes_the_header(tmp_path: Path) -> None:
    off = {"enable_correlation_middleware": False}
    app = app_with(tmp_path, off, off)
    assert not any(isinstance(hook, CorrelationSendHook) for hook in app.before_send)
    with TestClient(app) as client:
        response = client.get("/id", headers={"x-request-id": "ignored"})
        missing = client.get("/nowhere")
    assert "x-request-id" not in response.headers
    assert "x-request-id" not in missing.headers
    assert response.json() == {"context": None, "state": None}


def test_a_custom_correlation_header(tmp_path: Path) -> None:
    options = {"correlation_header": "X-Trace-Id", "correlation_headers": ["x-alt"], "auto_trace_headers": False}
    with TestClient(app_with(tmp_path, options)) as client:
        custom = client.get("/id", headers={"x-trace-id": "custom", "x-request-id": "not-read"})
        alternative = client.get("/id", headers={"x-alt": "alt"})
        not_read = client.get("/id", headers={"x-request-id": "nope", "traceparent": TRACEPARENT})
        missing = client.get("/nowhere", headers={"x-trace-id": "lost"})
    assert custom.headers.get_list("x-trace-id") == ["custom"]
    assert "x-request-id" not in custom.headers
    assert alternative.json()["context"] == "alt"
    assert is_generated(not_read.json()["context"])
    assert missing.headers.get_list("x-trace-id") == ["lost"]


def test_a_user_correlation_middleware_is_not_doubled(tmp_path: Path) -> None:
    mine = DefineMiddleware(CorrelationMiddleware, headers=("x-mine",), response_header="x-mine")
    app = app_with(tmp_path, middleware=[mine, CorrelationMiddleware])
    assert [getattr(entry, "middleware", entry) for entry in app.middleware].count(CorrelationMiddleware) == 2
    with TestClient(app) as client:
        response = client.get("/id", headers={"x-mine": "m1", "x-request-id": "r1"})
        missing = client.get("/nowhere", headers={"x-mine": "m2"})
    assert response.json()["context"] == "m1"  # the outer instance bound it; the inner one kept it
    assert response.headers.get_list("x-mine") == ["m1"]
    assert response.headers.get_list("x-request-id") == ["m1"]
    assert missing.headers.get_list("x-mine") == ["m2"]


async def no_content(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app that answers 204 with its own ``x-request-id`` header and records the bound id."""
    seen.append(CorrelationContext.get())
    start: Any = {"type": "http.response.start", "status": 204, "headers": [(b"x-request-id", b"kept")]}
    await send(start)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def test_the_previous_id_is_restored_after_the_request() -> None:
    seen.clear()
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    scope: Any = {"type": "http", "headers": [(b"x-request-id", b"inside")], "state": {}}
    CorrelationContext.set("outside")
    try:
        await CorrelationMiddleware(no_content)(scope, receive, send)
        assert CorrelationContext.get() == "outside"
    finally:
        CorrelationContext.clear()
    assert seen == ["inside"]
    assert sent[0]["headers"] == [(b"x-request-id", b"kept")]  # the app's own header is left alone
    assert scope["state"][CORRELATION_STATE_KEY] == "inside"


def test_no_id_is_left_bound_after_requests(tmp_path: Path) -> None:
    with TestClient(app_with(tmp_path)) as client:
        client.get("/id", headers={"x-request-id": "gone"})
        client.get("/sync-id", headers={"x-request-id": "gone"})
    assert CorrelationContext.get() is None


def test_a_websocket_is_bound_without_a_response_header(tmp_path: Path) -> None:
    with (
        TestClient(app_with(tmp_path)) as client,
        client.websocket_connect("/ws", headers={"x-request-id": "ws-1"}) as socket,
    ):
        assert socket.receive_json() == {"context": "ws-1"}


def test_sqlspec_statement_events_carry_the_requests_id(tmp_path: Path) -> None:
    events: list[Any] = []
    config = AiosqliteConfig(
        connection_config={"database": str(tmp_path / "observed.db")},
        observability_config=ObservabilityConfig(statement_observers=[events.append]),
    )

    @get("/query")
    async def query(db_session: NamedDependency[Any]) -> int:
        return int(await db_session.select_value("SELECT 1"))

    spec = SQLSpec()
    spec.add_config(config)
    with TestClient(Litestar(route_handlers=[query], plugins=[SQLSpecPlugin(spec)])) as client:
        assert client.get("/query", headers={"x-request-id": "sql-7"}).json() == 1
    assert [event.correlation_id for event in events if "SELECT 1" in event.sql] == ["sql-7"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"enable_correlation_middleware": "yes"}, "enable_correlation_middleware='yes' must be a bool"),
        ({"auto_trace_headers": 1}, "auto_trace_headers=1 must be a bool"),
        ({"correlation_header": ""}, "correlation_header='' is not a valid HTTP header name"),
        ({"correlation_header": 7}, "correlation_header=7 is not a valid HTTP header name"),
        ({"correlation_header": "x request"}, "correlation_header='x request' is not a valid HTTP header name"),
        ({"correlation_headers": "x-a"}, "correlation_headers='x-a' must be a list or tuple of header names"),
        ({"correlation_headers": ""}, "correlation_headers='' must be a list or tuple of header names"),
        ({"correlation_headers": ["x-a", None]}, "correlation_headers contains None, which is not a valid"),
        ({"correlation_headers": ["x:a"]}, "correlation_headers contains 'x:a', which is not a valid"),
    ],
)
def test_invalid_correlation_settings_name_the_config_and_value(options: dict[str, Any], message: str) -> None:
    config = AiosqliteConfig(
        connection_config={"database": "unused.db"}, extension_config={"litestar": options}, bind_key="main"
    )
    with pytest.raises(ImproperConfigurationError) as error:
        read_settings(config)
    assert message in str(error.value)
    assert "AiosqliteConfig(bind_key='main')" in str(error.value)


def test_correlation_settings_are_normalised() -> None:
    config = AiosqliteConfig(
        connection_config={"database": "unused.db"},
        extension_config={"litestar": {"correlation_header": "X-Req", "correlation_headers": ("X-REQ", "X-Other")}},
    )
    settings = read_settings(config)
    assert settings.correlation_header == "x-req"
    assert settings.correlation_headers[:3] == ("x-req", "x-other", "x-correlation-id")
    assert "traceparent" in settings.correlation_headers
    assert read_settings(AiosqliteConfig(connection_config={"database": "unused.db"})).enable_correlation_middleware


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"headers": ("bad header",)}, "'bad header'"),
        ({"response_header": ""}, "response_header=''"),
        ({"max_length": 0}, "max_length=0"),
    ],
)
def test_invalid_middleware_options_are_rejected(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ImproperConfigurationError, match=message):
        CorrelationMiddleware(no_content, **options)
