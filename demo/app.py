"""A tiny notes app: `make demo` serves it on http://127.0.0.1:8000 from the embedded SQLite file demo/demo.db."""

import html
import os
from pathlib import Path
from typing import Annotated

from litestar import Litestar, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from sqlspec import SQLSpec
from sqlspec.adapters.aiosqlite import AiosqliteConfig, AiosqliteDriver

from litestar_sqlspec import SQLSpecPlugin

DATABASE = Path(os.environ.get("DEMO_DATABASE", Path(__file__).with_name("demo.db")))

spec = SQLSpec()
db = spec.add_config(
    AiosqliteConfig(
        connection_config={"database": str(DATABASE)},
        # commit when the handler answers 2xx/3xx, roll back otherwise
        extension_config={"litestar": {"commit_mode": "autocommit_include_redirect"}},
    )
)

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>litestar-sqlspec notes</title>
<style>body{{font-family:system-ui;max-width:40rem;margin:2rem auto}}li{{margin:.3rem 0}}</style></head>
<body><h1>Notes</h1><form method="post" action="/notes"><input name="text" required autofocus>
<button>Add</button></form><ul>{items}</ul><p>{count} note(s) in {database}</p></body></html>"""


async def create_schema() -> None:
    async with db.provide_session() as session:
        await session.execute("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        await session.commit()


@get("/", media_type="text/html")
async def index(db_session: NamedDependency[AiosqliteDriver]) -> str:
    notes = await db_session.select("SELECT id, text FROM note ORDER BY id DESC")
    items = "".join(f"<li>{html.escape(note['text'])}</li>" for note in notes)
    return PAGE.format(items=items, count=len(notes), database=html.escape(DATABASE.name))


@post("/notes")
async def add_note(
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
    db_session: NamedDependency[AiosqliteDriver],
) -> Redirect:
    await db_session.execute("INSERT INTO note (text) VALUES (:text)", {"text": data["text"][:500]})
    return Redirect("/", status_code=303)


@get("/api/notes")
async def list_notes(db_session: NamedDependency[AiosqliteDriver]) -> list[dict[str, object]]:
    return await db_session.select("SELECT id, text FROM note ORDER BY id")


app = Litestar(
    route_handlers=[index, add_note, list_notes],
    plugins=[SQLSpecPlugin(spec)],
    on_startup=[create_schema],
)
