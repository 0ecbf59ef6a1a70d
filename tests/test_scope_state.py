"""sqlspec's scope-state helpers find the request's connection, session and correlation id by their keys."""

from pathlib import Path
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.testing import TestClient
from sqlspec.driver import AsyncDriverAdapterBase

from litestar_sqlspec import (
    CORRELATION_STATE_KEY,
    delete_sqlspec_scope_state,
    get_sqlspec_scope_state,
    set_sqlspec_scope_state,
)
from tests.apps import make_app
from tests.databases import make_database


@get("/state")
async def state(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncDriverAdapterBase]) -> dict[str, Any]:
    scope = request.scope
    set_sqlspec_scope_state(scope, "mine", 1)
    kept = get_sqlspec_scope_state(scope, "mine")
    popped = get_sqlspec_scope_state(scope, "mine", pop=True)
    set_sqlspec_scope_state(scope, "other", 2)
    delete_sqlspec_scope_state(scope, "other")
    return {
        "session": get_sqlspec_scope_state(scope, "db_session") is db_session,
        "connection": get_sqlspec_scope_state(scope, "db_connection") is db_session.connection,
        "correlation": get_sqlspec_scope_state(scope, CORRELATION_STATE_KEY),
        "kept": [kept, popped, get_sqlspec_scope_state(scope, "mine", "gone"), get_sqlspec_scope_state(scope, "other")],
        "unknown": get_sqlspec_scope_state(scope, "nothing", "default"),
    }


def test_scope_state_names_the_requests_connection_session_and_correlation_id(tmp_path: Path) -> None:
    app, _ = make_app(make_database("aiosqlite", tmp_path).config(), route_handlers=[state])
    with TestClient(app) as client:
        body = client.get("/state", headers={"x-request-id": "req-42"}).json()
    assert body == {
        "session": True,
        "connection": True,
        "correlation": "req-42",
        "kept": [1, 1, "gone", None],
        "unknown": "default",
    }
