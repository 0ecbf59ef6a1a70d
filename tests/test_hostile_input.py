"""Hostile keys, namespaces, channel names, payloads and table names, on real databases.

Whatever a client sends as a store key or value, a channel name or payload, comes back byte for byte or is refused with
an error naming the limit; nothing is ever read as SQL: a canary table and a bystander key survive every example. Table
names come from configuration, so anything but a plain identifier is refused when the store or backend is built.
"""

import operator
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from sqlspec import SQLSpec
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import SQLSpecChannelsBackend, SQLSpecPlugin, SQLSpecStore
from litestar_sqlspec.settings import RESERVED_WORDS
from tests.channel_helpers import Receiver, receiving_on
from tests.databases import Database, close_pool, make_database, open_pool

KINDS = ["sqlite", "psycopg_async"]  # a sync driver on a SQLite file, an async one on PostgreSQL
FAST = settings(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])

SQL_FRAGMENTS = (
    "'",
    '"',
    "`",
    ";",
    "--",
    "/*",
    "*/",
    "'; DROP TABLE {canary}; --",
    "\" OR '1'='1",
    "{table}",
    "%s",
    "%(ns)s",
    "%%",
    "?",
    ":key",
    ":ns",
    "$1",
    "\\",
    "\x00",
    "\n",
    "\u2028",
    "\ufeff",
    "\U0001f600",
    "e\u0301",
)
LONE_SURROGATES = ("\ud800", "\udfff", "a\udc80b")


def hostile_text(canary: str, table: str, *, surrogates: bool = False) -> st.SearchStrategy[str]:
    """Any text, SQL fragments aimed at ``canary`` and ``table``, and strings of thousands of characters."""
    fragments = [fragment.format(canary=canary, table=table) for fragment in SQL_FRAGMENTS]
    if surrogates:
        fragments += LONE_SURROGATES
    pieces = st.sampled_from(fragments) | st.text(max_size=6)
    return st.one_of(
        st.text(),
        st.lists(pieces, max_size=12).map("".join),
        st.builds(operator.mul, st.text(min_size=1, max_size=4) | pieces, st.integers(2_500, 5_000)),
    )


def repeated_to(chunk: bytes, size: int) -> bytes:
    return (chunk * (size // len(chunk) + 1))[:size]


VALUES = st.one_of(
    st.binary(max_size=256),
    st.builds(repeated_to, st.binary(min_size=1, max_size=300), st.integers(1_024, 64 * 1024)),
    st.text(max_size=200),  # text values are stored as their UTF-8 bytes
)
BYSTANDER_KEY = "'; DELETE FROM {table}; --"
BYSTANDER_VALUE = b"untouched\x00"


def as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


@dataclass
class Stage:
    """A store on a real database, a canary table next to it, and the event loop the store's pool belongs to."""

    portal: BlockingPortal
    database: Database
    store: SQLSpecStore
    bystander: SQLSpecStore

    @property
    def canary(self) -> str:
        return self.database.table

    def assert_intact(self) -> None:
        """The canary table still holds its row, and the store table still holds the bystander's key."""
        assert self.database.names() == ["canary"]
        key = BYSTANDER_KEY.format(table=self.store.table_name)
        assert self.portal.call(self.bystander.get, key) == BYSTANDER_VALUE


@pytest.fixture(params=KINDS)
def stage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stage]:
    database = make_database(request.param, tmp_path)
    database.setup()
    database.execute(f"INSERT INTO {database.table} (name) VALUES ('canary')")
    config = database.config(session_table=f"hostile_{uuid.uuid4().hex[:10]}")
    store = SQLSpecStore(config, namespace="hostile")
    bystander = SQLSpecStore(config, namespace="bystander")
    # One event loop for every example: an async config's pool belongs to the loop that created it.
    with start_blocking_portal() as portal:
        portal.call(open_pool, config)
        try:
            portal.call(bystander.set, BYSTANDER_KEY.format(table=store.table_name), BYSTANDER_VALUE)
            yield Stage(portal, database, store, bystander)
        finally:
            portal.call(store.drop_table)
            portal.call(close_pool, config)
            database.teardown()


# The store: keys and values


def test_any_key_and_value_round_trip_exactly_and_nothing_is_sql(stage: Stage) -> None:
    store, tried = stage.store, Counter[str]()

    async def round_trip(entries: dict[str, str | bytes], expiry: int | None) -> None:
        await store.delete_all()
        for key, value in entries.items():
            await store.set(key, value, expires_in=expiry)
        for key, value in entries.items():
            assert await store.get(key) == as_bytes(value)
            assert await store.exists(key)
            remaining = await store.expires_in(key)
            if expiry is None:
                assert remaining == -1
            else:
                assert remaining is not None
                assert expiry - 5 <= remaining <= expiry
        deleted, *kept = entries
        await store.delete(deleted)
        assert await store.get(deleted) is None
        assert not await store.exists(deleted)
        assert await store.expires_in(deleted) is None
        for key in kept:
            assert await store.get(key) == as_bytes(entries[key])

    keys = hostile_text(stage.canary, store.table_name, surrogates=True)  # keys are hashed: even lone surrogates

    @settings(FAST, max_examples=150)
    @given(entries=st.dictionaries(keys, VALUES, min_size=1, max_size=4), expiry=st.none() | st.integers(60, 10**8))
    @example(entries={"huge": bytes(range(256)) * (6 * 4096), "": b""}, expiry=None)  # 6 MiB
    @example(entries={"\x00": b"nul", "\x00\x00": b"two nuls", "\ud800": b"lone surrogate"}, expiry=3600)
    @example(entries={f"x'; DROP TABLE {stage.canary}; --": b"", "k" * 100_000: b"\x00" * 70_000}, expiry=None)
    def check(entries: dict[str, str | bytes], expiry: int | None) -> None:
        tried["examples"] += 1
        stage.portal.call(round_trip, entries, expiry)
        stage.assert_intact()

    check()
    assert tried["examples"] >= 150


def test_keys_that_differ_only_late_or_invisibly_never_collide(stage: Stage) -> None:
    store, tried = stage.store, Counter[str]()

    async def both_kept(first: str, second: str) -> None:
        await store.set(first, b"first")
        await store.set(second, b"second")
        assert await store.get(first) == b"first"
        assert await store.get(second) == b"second"
        await store.delete(first)
        assert await store.get(second) == b"second"
        await store.delete(second)

    prefixes = st.text(max_size=20) | st.builds(operator.mul, st.text(min_size=1, max_size=3), st.integers(1, 4_000))

    @settings(FAST, max_examples=100)
    @given(prefix=prefixes, tails=st.lists(st.text(max_size=3), min_size=2, max_size=2, unique=True))
    @example(prefix="x" * 10_000, tails=["a", "b"])
    @example(prefix="caf", tails=["\u00e9", "e\u0301"])  # the NFC and NFD spellings of one visible string
    @example(prefix="k", tails=["", "\x00"])
    @example(prefix="k", tails=["", " "])  # databases that pad or trim would merge these
    @example(prefix="K", tails=["ey", "EY"])  # a case-insensitive collation would merge these
    def check(prefix: str, tails: list[str]) -> None:
        tried["examples"] += 1
        stage.portal.call(both_kept, prefix + tails[0], prefix + tails[1])

    check()
    stage.assert_intact()
    assert tried["examples"] >= 100


# The store: namespaces

MAX_NAMESPACE = 255


def namespace_rule_broken(name: str) -> str | None:
    """What the error for namespace ``name`` must mention, or ``None`` when ``name`` is a valid namespace."""
    if not name:
        return "a non-empty string is required"
    if "/" in name:
        return "'/' (the separator of nested namespaces)"
    if "\x00" in name:
        return "or NUL"
    if len(name) > MAX_NAMESPACE:
        return f"limited to {MAX_NAMESPACE} characters"
    return None


def test_any_namespace_is_isolated_or_refused_with_its_rule(stage: Stage) -> None:
    store, config, tried = stage.store, stage.store.config, Counter[str]()

    async def isolated(name: str) -> None:
        child = store.with_namespace(name)
        assert child.namespace == f"hostile/{name}"
        assert SQLSpecStore(config, namespace=name).namespace == name
        await store.set("key", b"parent")
        await child.set("key", b"child")
        grandchild = child.with_namespace("deeper")
        await grandchild.set("key", b"grandchild")
        assert await store.get("key") == b"parent"
        assert await child.get("key") == b"child"
        await child.delete_all()  # the child and everything below it, nothing beside or above it
        assert await child.get("key") is None
        assert await grandchild.get("key") is None
        assert await store.get("key") == b"parent"

    @settings(FAST, max_examples=150)
    @given(name=hostile_text(stage.canary, store.table_name) | st.text(min_size=250, max_size=260))
    @example(name="x" * MAX_NAMESPACE)
    @example(name="x" * (MAX_NAMESPACE + 1))
    @example(name="\U0001f600" * MAX_NAMESPACE)  # 255 characters, 1020 bytes
    @example(name="hostile")  # the parent's own name, one level down
    @example(name="")
    @example(name="%")  # a LIKE wildcard, were the prefix match a LIKE
    @example(name="_")
    def check(name: str) -> None:
        tried["examples"] += 1
        expected_error = namespace_rule_broken(name)
        if expected_error is None:
            stage.portal.call(isolated, name)
        else:
            tried["refused"] += 1
            builds: list[Callable[[], SQLSpecStore]] = [
                lambda: store.with_namespace(name),
                lambda: SQLSpecStore(config, namespace=name),
            ]
            for build in builds:
                with pytest.raises(ValueError, match=r"^store namespace .* is invalid") as error:
                    build()
                assert expected_error in str(error.value)
                assert repr(name) in str(error.value)
        stage.assert_intact()

    check()
    assert tried["examples"] >= 150
    assert 0 < tried["refused"] < tried["examples"]


def test_a_namespace_that_is_not_valid_unicode_is_refused_when_made(tmp_path: Path) -> None:
    config = make_database("aiosqlite", tmp_path).config()
    with pytest.raises(ValueError, match=r"store namespace '\\ud800' is invalid"):
        SQLSpecStore(config).with_namespace("\ud800")


# Channels: names and payloads

MAX_PAYLOAD = 64 * 1024


@pytest.mark.parametrize("kind", KINDS)
def test_any_channel_name_and_payload_is_delivered_exactly_or_refused(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    database.setup()
    database.execute(f"INSERT INTO {database.table} (name) VALUES ('canary')")
    table = f"hostile_channels_{uuid.uuid4().hex[:10]}"
    config = database.config(channels_table=table)
    tried = Counter[str]()

    async def exchange(backend: SQLSpecChannelsBackend, receiver: Receiver, channels: list[str], payloads: Any) -> None:
        receiver.events.clear()
        await backend.subscribe(channels)
        expected: list[tuple[str, bytes]] = []
        for payload in payloads:
            if len(payload) > MAX_PAYLOAD:
                too_large = rf"a payload of {len(payload)} bytes is larger than max_payload_bytes \({MAX_PAYLOAD}\)"
                with pytest.raises(ValueError, match=too_large):
                    await backend.publish(payload, channels)
                continue
            await backend.publish(payload, channels)
            expected += [(channel, payload) for channel in channels]
        assert await receiver.wait_for(len(expected)) == expected
        await backend.unsubscribe(channels)

    names = hostile_text(database.table, table, surrogates=True)  # channel names are hashed, never sent as text
    payloads = st.binary(max_size=256) | st.builds(
        repeated_to, st.binary(min_size=1, max_size=300), st.integers(1_024, MAX_PAYLOAD + 16)
    )
    # channel_prefix is accepted for sqlspec compatibility and never used: hostile, it changes nothing
    hostile_prefix = f"x'; DROP TABLE {database.table}; --"
    with start_blocking_portal() as portal:
        started = receiving_on(config, max_payload_bytes=MAX_PAYLOAD, channel_prefix=hostile_prefix)
        with portal.wrap_async_context_manager(started) as (backend, receiver):

            @settings(FAST, max_examples=60)
            @given(
                channels=st.lists(names, min_size=1, max_size=3, unique=True),
                payloads=st.lists(payloads, min_size=1, max_size=3),
            )
            @example(channels=["", "\x00", "\ud800"], payloads=[b"", b"\x00" * MAX_PAYLOAD, b"x" * (MAX_PAYLOAD + 1)])
            @example(channels=["news", "News", "news "], payloads=[bytes(range(256))])
            @example(channels=[f"'; DROP TABLE {table}; --", "c" * 100_000], payloads=[b"'; DROP TABLE x; --"])
            def check(channels: list[str], payloads: list[bytes]) -> None:
                tried["examples"] += 1
                portal.call(exchange, backend, receiver, channels, payloads)
                assert database.names() == ["canary"]

            check()
    database.teardown()
    assert tried["examples"] >= 60


# Table names from configuration

INJECTED_NAMES = [
    "x; DROP TABLE y",
    "x'; DROP TABLE y; --",
    'x"; DROP TABLE y; --',
    "x--",
    "x/*",
    "x y",
    " x",
    "",
    " ",
    "x" * 200,
    "tablé",
    "\uff54able",  # a fullwidth letter
    "1x",
    "x-y",
    "x\x00",
    "x.y.z",
    ".x",
    "x.",
    "x.'y'",
    "`x`",
    "[x]",
    "x)",
]


def refused(build: Any, name: str) -> None:
    with pytest.raises(ImproperConfigurationError) as error:
        build()
    message = str(error.value)
    assert repr(name) in message
    assert "table name" in message


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", INJECTED_NAMES)
def test_an_injected_table_name_is_refused_when_the_store_or_backend_is_built(
    kind: str, name: str, tmp_path: Path
) -> None:
    database = make_database(kind, tmp_path)
    plain = database.config()
    refused(lambda: SQLSpecStore(plain, table_name=name), name)
    refused(lambda: SQLSpecStore(database.config(session_table=name)), name)
    refused(lambda: SQLSpecChannelsBackend(database.config(channels_table=name)), name)
    refused(lambda: SQLSpecChannelsBackend(plain, table_name=name), name)


def test_an_empty_channels_table_name_is_refused(tmp_path: Path) -> None:
    refused(lambda: SQLSpecChannelsBackend(make_database("aiosqlite", tmp_path).config(), table_name=""), "")


@settings(FAST, max_examples=300)
@given(name=st.text() | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,140}(\.[A-Za-z_][A-Za-z0-9_]{0,70})?", fullmatch=True))
def test_only_plain_identifiers_within_the_dialects_limit_are_accepted_as_table_names(name: str) -> None:
    config = make_database("aiosqlite", Path("unused")).config()  # building a store opens nothing
    parts = name.split(".")
    plain = 1 <= len(parts) <= 2 and all(part.isascii() and part.isidentifier() for part in parts)
    plain = plain and not any(part.lower() in RESERVED_WORDS for part in parts)
    if plain and max(len(part) for part in parts) <= 128:  # SQLite's identifier limit in the store's dialect table
        assert SQLSpecStore(config, table_name=name).table_name == name
        assert SQLSpecChannelsBackend(config, table_name=name).table_name == name
    else:
        refused(lambda: SQLSpecStore(config, table_name=name), name)
        refused(lambda: SQLSpecChannelsBackend(config, table_name=name), name)


def test_a_table_name_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    config = make_database("aiosqlite", tmp_path).config()
    refused(lambda: SQLSpecStore(config, table_name="kv\n"), "kv\n")


@pytest.mark.parametrize("key", ["session_table", "channels_table"])
def test_the_plugin_refuses_an_injected_table_name_when_built(key: str, tmp_path: Path) -> None:
    spec = SQLSpec()
    spec.add_config(make_database("aiosqlite", tmp_path).config(**{key: "x; DROP TABLE y"}))
    refused(lambda: Litestar(plugins=[SQLSpecPlugin(spec)]), "x; DROP TABLE y")


RESERVED = [("sqlite", "order"), ("sqlite", "select"), ("psycopg_async", "order"), ("psycopg_async", "user")]


@pytest.mark.parametrize(("kind", "word"), RESERVED)
def test_a_reserved_word_as_table_name_is_refused_when_built(kind: str, word: str, tmp_path: Path) -> None:
    config = make_database(kind, tmp_path).config()
    refused(lambda: SQLSpecStore(config, table_name=word), word)


def test_a_schema_qualified_store_table_works_on_sqlite(tmp_path: Path) -> None:
    config = make_database("sqlite", tmp_path).config()
    store = SQLSpecStore(config, table_name="main.kv")
    with start_blocking_portal() as portal:
        try:
            portal.call(store.set, "key", b"value")
            assert portal.call(store.get, "key") == b"value"
        finally:
            portal.call(store.drop_table)
