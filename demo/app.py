"""The demo app: sign-in kept in a server-side session, notes with filters and pages, a live chat, a cached endpoint.

Everything lives in the app's own SQL database: the notes, the sessions and the response cache (``SQLSpecStore``) and
the chat (``SQLSpecChannelsBackend``). ``make demo`` runs the migrations (``litestar database upgrade``, this package's
tables included) and serves on http://127.0.0.1:8000 from the embedded SQLite file ``demo/demo.db``;
``DATABASE_URL=postgresql://user@host/db make demo`` runs the same code on PostgreSQL with psycopg.
"""

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.params import JSONBody, SkipValidation, URLEncodedBody
from litestar.response import Redirect
from sqlspec import SQLSpec
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.psycopg import PsycopgAsyncConfig
from sqlspec.core import FilterTypes, OffsetPagination
from sqlspec.driver import AsyncDriverAdapterBase
from sqlspec.service import SQLSpecAsyncService

from demo.pages import STATUSES, error_page, index_page
from litestar_sqlspec import SQLSpecChannelsBackend, SQLSpecPlugin
from litestar_sqlspec.providers import create_filter_dependencies

__all__ = ("app", "database_config")

HERE = Path(__file__).resolve().parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASE = Path(os.environ.get("DEMO_DATABASE", HERE / "demo.db"))


def database_config() -> AiosqliteConfig | PsycopgAsyncConfig:
    """The embedded SQLite file, or PostgreSQL when ``DATABASE_URL`` is a ``postgresql://`` URL."""
    litestar = {
        "commit_mode": "autocommit_include_redirect",  # 2xx/3xx commit, anything else rolls back
        "session_table": "demo_session",
        "channels_table": "demo_channels",
        "default_store": True,  # sessions, response cache, rate limits: namespaces of one SQL table
        "cleanup_interval": 300.0,
    }
    migrations = {"script_location": str(HERE / "migrations"), "include_extensions": ["litestar"]}
    if DATABASE_URL.startswith(("postgresql://", "postgres://")):
        return PsycopgAsyncConfig(
            connection_config={"conninfo": DATABASE_URL, "min_size": 1, "max_size": 10},
            migration_config=migrations,
            extension_config={"litestar": litestar},
        )
    return AiosqliteConfig(
        connection_config={"database": str(DATABASE)},
        migration_config=migrations,
        extension_config={"litestar": litestar},
    )


spec = SQLSpec()
db = spec.add_config(database_config())
WHERE = f"PostgreSQL ({DATABASE_URL.rsplit('@', 1)[-1]})" if DATABASE_URL else f"SQLite file {DATABASE.name}"


@dataclass
class Note:
    id: str
    author: str
    title: str
    status: str
    pinned: bool
    created_at: dt.datetime


NOTE_FILTERS = create_filter_dependencies(
    {
        "pagination_type": "limit_offset",
        "pagination_size": 5,
        "pagination_max_size": 50,
        "search": "title",
        "search_ignore_case": True,
        "sort_field": ["created_at", "title"],
        "sort_order": "desc",
        "in_fields": ["status"],
        "boolean_fields": ["pinned"],
    }
)
SELECT_NOTES = "SELECT id, author, title, status, pinned, created_at FROM demo_note"

Session = NamedDependency[AsyncDriverAdapterBase]
Filters = NamedDependency[SkipValidation[list[FilterTypes]]]
Form = URLEncodedBody[dict[str, str]]


async def notes_page(db_session: AsyncDriverAdapterBase, filters: list[FilterTypes]) -> OffsetPagination[Note]:
    page = await SQLSpecAsyncService(db_session).paginate(SELECT_NOTES, *filters, schema_type=Note)
    assert isinstance(page, OffsetPagination)
    page.items = [_typed(note) for note in page.items]
    return page


def _typed(note: Note) -> Note:
    # SQLite hands back 0/1 and ISO text for the BOOLEAN and TIMESTAMP columns; PostgreSQL typed values.
    created: Any = note.created_at
    if isinstance(created, str):
        created = dt.datetime.fromisoformat(created)
    return Note(**{**vars(note), "pinned": bool(note.pinned), "created_at": created})


def signed_in(request: Request[Any, Any, Any]) -> str:
    user = request.session.get("user") if request.session else None
    if not user:
        raise NotAuthorizedException("Sign in first.")
    return str(user)


@get("/", media_type=MediaType.HTML, dependencies=NOTE_FILTERS)
async def index(request: Request[Any, Any, Any], db_session: Session, filters: Filters) -> str:
    page = await notes_page(db_session, filters)
    user = request.session.get("user") if request.session else None
    return index_page(user=user, page=page, query=dict(request.query_params), database=WHERE)


@get("/api/notes", dependencies=NOTE_FILTERS)
async def list_notes(db_session: Session, filters: Filters) -> OffsetPagination[Note]:
    """The notes, filtered, sorted and paged by query parameters (see the OpenAPI schema)."""
    return await notes_page(db_session, filters)


@post("/signin")
async def sign_in(request: Request[Any, Any, Any], data: Form) -> Redirect:
    name = data.get("name", "").strip()[:64]
    if not name:
        raise HTTPException(status_code=400, detail="A name is needed to sign in.")
    request.set_session({"user": name})
    return Redirect("/", status_code=303)


@post("/signout")
async def sign_out(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect("/", status_code=303)


@post("/notes")
async def add_note(request: Request[Any, Any, Any], data: Form, db_session: Session) -> Redirect:
    author = signed_in(request)
    title = data.get("title", "").strip()[:200]
    status = data.get("status", STATUSES[0])
    if not title or status not in STATUSES:
        raise HTTPException(status_code=400, detail=f"A note needs a title and a status among {', '.join(STATUSES)}.")
    await db_session.execute(
        "INSERT INTO demo_note (id, author, title, status, pinned, created_at) "
        "VALUES (:id, :author, :title, :status, :pinned, :created_at)",
        {
            "id": uuid.uuid4().hex,
            "author": author,
            "title": title,
            "status": status,
            "pinned": data.get("pinned") == "true",
            "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        },
    )
    return Redirect("/", status_code=303)


@post("/chat", status_code=204)
async def chat(
    request: Request[Any, Any, Any], data: JSONBody[dict[str, str]], channels: NamedDependency[ChannelsPlugin]
) -> None:
    text = str(data.get("text", "")).strip()[:500]
    if not text:
        raise HTTPException(status_code=400, detail="Say something.")
    channels.publish({"user": signed_in(request), "text": text}, "chat")


@get("/stats", cache=10)
async def stats(db_session: Session) -> dict[str, Any]:
    """Counts, computed at most once per 10 seconds: the response cache is the SQL store too."""
    row = await db_session.select_one("SELECT COUNT(*) AS notes, COUNT(DISTINCT author) AS authors FROM demo_note")
    return {**row, "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def show_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Something went wrong on our side."
    if request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
        return Response({"status_code": status, "detail": detail}, status_code=status)
    return Response(error_page(status, detail), status_code=status, media_type=MediaType.HTML)


app = Litestar(
    route_handlers=[index, list_notes, sign_in, sign_out, add_note, chat, stats],
    plugins=[
        SQLSpecPlugin(spec),
        ChannelsPlugin(
            backend=SQLSpecChannelsBackend(db, history=50),
            channels=["chat"],
            create_ws_route_handlers=True,
            ws_handler_base_path="/ws",
            ws_handler_send_history=20,
        ),
    ],
    middleware=[ServerSideSessionConfig(max_age=7 * 24 * 3600).middleware],
    exception_handlers={HTTPException: show_error, Exception: show_error},
)
