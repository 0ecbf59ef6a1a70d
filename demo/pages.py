"""The demo's HTML: one page, plain markup and a little JavaScript for the live chat; every value is escaped."""

import html
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

__all__ = ("STATUSES", "error_page", "index_page")

STATUSES = ("idea", "doing", "done")

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:62rem;margin:1.5rem auto;padding:0 1rem;color:#222}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:1px solid #ddd}
main{display:grid;grid-template-columns:3fr 2fr;gap:2rem}
form.inline{display:flex;gap:.4rem;flex-wrap:wrap;align-items:center;margin:.6rem 0}
li{margin:.25rem 0} .meta{color:#777;font-size:.85em} .pager a,.pager span{margin-right:.6rem}
#chat-log{height:16rem;overflow-y:auto;border:1px solid #ddd;padding:.4rem 1.4rem;list-style:none}
.error{background:#fee;border:1px solid #c99;padding:1rem}
"""

_CHAT_SCRIPT = """
const log = document.getElementById("chat-log");
const state = document.getElementById("chat-state");
const scheme = location.protocol === "https:" ? "wss" : "ws";
const socket = new WebSocket(`${scheme}://${location.host}/ws/chat`);
socket.onopen = () => { state.textContent = "live"; state.dataset.state = "open"; };
socket.onclose = () => { state.textContent = "disconnected"; state.dataset.state = "closed"; };
socket.onmessage = (event) => {
  const message = JSON.parse(event.data);
  const item = document.createElement("li");
  item.textContent = `${message.user}: ${message.text}`;
  log.appendChild(item);
  log.scrollTop = log.scrollHeight;
};
const form = document.getElementById("chat-form");
if (form) form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("chat-text");
  const response = await fetch("/chat", {method: "POST", headers: {"content-type": "application/json"},
                                         body: JSON.stringify({text: input.value})});
  if (response.ok) input.value = "";
});
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _document(title: str, body: str, script: str = "") -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}"
        + (f"<script>{script}</script>" if script else "")
        + "</body></html>"
    )


def _header(user: str | None, database: str) -> str:
    if user:
        who = (
            f'<form class="inline" method="post" action="/signout">Signed in as <b id="user">{_e(user)}</b>'
            "<button>Sign out</button></form>"
        )
    else:
        who = (
            '<form class="inline" method="post" action="/signin"><input name="name" placeholder="your name" '
            'required maxlength="64" id="signin-name"><button id="signin">Sign in</button></form>'
        )
    return f'<header><h1>litestar-sqlspec demo</h1><div>{who}<div class="meta">{_e(database)}</div></div></header>'


def _filters_form(query: Mapping[str, str]) -> str:
    statuses = "".join(
        f'<option value="{s}"{" selected" if query.get("statusIn") == s else ""}>{s}</option>' for s in STATUSES
    )
    orders = "".join(
        f'<option value="{value}"{" selected" if query.get("orderBy", "createdAt") == value else ""}>{label}</option>'
        for value, label in (("createdAt", "newest"), ("title", "title"))
    )
    direction = query.get("sortOrder", "desc")
    checked = " checked" if query.get("pinnedBoolean") == "true" else ""
    return (
        '<form class="inline" method="get" action="/">'
        f'<input name="searchString" placeholder="search titles" value="{_e(query.get("searchString", ""))}">'
        f'<select name="statusIn"><option value="">any status</option>{statuses}</select>'
        f'<label><input type="checkbox" name="pinnedBoolean" value="true"{checked}> pinned</label>'
        f'<select name="orderBy">{orders}</select>'
        f'<select name="sortOrder"><option value="desc"{" selected" if direction == "desc" else ""}>desc</option>'
        f'<option value="asc"{" selected" if direction == "asc" else ""}>asc</option></select>'
        '<button>Filter</button> <a href="/">reset</a></form>'
    )


def _pager(query: Mapping[str, str], page: Any) -> str:
    size = page.limit
    current = page.offset // size + 1
    last = max(1, -(-page.total // size))
    links = []
    for number in range(1, last + 1):
        if number == current:
            links.append(f"<span>{number}</span>")
        else:
            params = {**{k: v for k, v in query.items() if v}, "currentPage": str(number), "pageSize": str(size)}
            links.append(f'<a href="/?{_e(urlencode(params))}">{number}</a>')
    return f'<p class="pager">{"".join(links)} <span class="meta">{page.total} note(s)</span></p>'


def index_page(*, user: str | None, page: Any, query: Mapping[str, str], database: str) -> str:
    """The whole page: sign-in, the notes (filters, list, pages) and the chat."""
    notes = "".join(
        f'<li class="note">{"📌 " if note.pinned else ""}<b>{_e(note.title)}</b> '
        f'<span class="meta">[{_e(note.status)}] by {_e(note.author)}, {note.created_at:%Y-%m-%d %H:%M}</span></li>'
        for note in page.items
    )
    if user:
        add = (
            '<form class="inline" method="post" action="/notes">'
            '<input name="title" placeholder="new note" required maxlength="200">'
            f'<select name="status">{"".join(f"<option>{s}</option>" for s in STATUSES)}</select>'
            '<label><input type="checkbox" name="pinned" value="true"> pin</label><button>Add</button></form>'
        )
        chat_form = (
            '<form class="inline" id="chat-form"><input id="chat-text" required maxlength="500" '
            'placeholder="say something"><button id="chat-send">Send</button></form>'
        )
    else:
        add = '<p class="meta">Sign in to add notes and chat.</p>'
        chat_form = ""
    body = (
        _header(user, database)
        + "<main><section><h2>Notes</h2>"
        + add
        + _filters_form(query)
        + f'<ul id="notes">{notes or "<li class=meta>no notes match</li>"}</ul>'
        + _pager(query, page)
        + '<p class="meta">JSON: <a href="/api/notes">/api/notes</a> · cached for 10 s: <a href="/stats">/stats</a>'
        + ' · <a href="/schema">OpenAPI</a></p></section>'
        + '<section><h2>Chat <small class="meta" id="chat-state" data-state="connecting">connecting</small></h2>'
        + f'<ul id="chat-log"></ul>{chat_form}</section></main>'
    )
    return _document("litestar-sqlspec demo", body, _CHAT_SCRIPT)


def error_page(status_code: int, detail: str) -> str:
    """A readable error page."""
    body = f'<h1>{status_code}</h1><p class="error">{_e(detail)}</p><p><a href="/">Back to the notes</a></p>'
    return _document(f"Error {status_code}", body)
