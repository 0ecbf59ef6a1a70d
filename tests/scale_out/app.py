"""An app served by several uvicorn worker processes on PostgreSQL (``SCALE_OUT_DSN``): which worker answered, a
server-side session in the SQL store, and a websocket that forwards every message of channel ``events``."""

import os
from contextlib import suppress
from typing import Any

from litestar import Litestar, Request, WebSocket, get, post, websocket
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.exceptions import WebSocketDisconnect
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.params import JSONBody
from sqlspec import SQLSpec
from sqlspec.adapters.psycopg import PsycopgAsyncConfig

from litestar_sqlspec import SQLSpecChannelsBackend, SQLSpecPlugin

__all__ = ("app",)

spec = SQLSpec()
config = spec.add_config(
    PsycopgAsyncConfig(
        connection_config={"conninfo": os.environ["SCALE_OUT_DSN"], "min_size": 1, "max_size": 4},
        extension_config={"litestar": {"default_store": True, "session_table": "scale_session"}},
    )
)


@post("/login")
async def login(request: Request[Any, Any, Any], data: JSONBody[dict[str, str]]) -> int:
    request.set_session({"user": data["user"]})
    return os.getpid()


@get("/me")
async def me(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {"pid": os.getpid(), "session": dict(request.session or {})}


@post("/publish")
async def publish(data: JSONBody[dict[str, Any]], channels: NamedDependency[ChannelsPlugin]) -> int:
    await channels.wait_published(data["text"].encode(), "events")
    return os.getpid()


@websocket("/events")
async def events(socket: WebSocket[Any, Any, Any], channels: NamedDependency[ChannelsPlugin]) -> None:
    await socket.accept()
    async with channels.start_subscription(["events"]) as subscriber:
        await socket.send_json({"pid": os.getpid()})  # the subscription is live once this is sent
        async with subscriber.run_in_background(socket.send_bytes):
            with suppress(WebSocketDisconnect):
                while True:
                    await socket.receive_data(mode="text")  # until the client goes


app = Litestar(
    route_handlers=[login, me, publish, events],
    plugins=[
        SQLSpecPlugin(spec),
        ChannelsPlugin(backend=SQLSpecChannelsBackend(config, table_name="scale_events"), channels=["events"]),
    ],
    middleware=[ServerSideSessionConfig().middleware],
)
