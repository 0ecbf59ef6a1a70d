"""Fuzzed configuration: the plugin and the filter providers fail when they are built, clearly, or work.

A bad ``extension_config["litestar"]`` (wrong types, unknown keys, conflicting keys, within one config or across two)
raises ``ImproperConfigurationError`` naming the config and the culprit when ``SQLSpecPlugin`` or the app is built;
anything accepted then serves a request that uses the session. A bad ``FilterConfig`` raises the same error from
``create_filter_dependencies``; anything accepted builds an app whose filters answer a request.
"""

import inspect
import itertools
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import SkipValidation
from litestar.testing import TestClient
from sqlspec import SQLSpec
from sqlspec.adapters.aiosqlite import AiosqliteConfig
from sqlspec.adapters.sqlite import SqliteConfig
from sqlspec.core import FilterTypes
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec import CommitMode, SQLSpecPlugin
from litestar_sqlspec.providers import ChoiceField, FieldNameType, FilterConfig, create_filter_dependencies
from litestar_sqlspec.settings import LitestarConfig

FAST = settings(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
KNOWN_KEYS = sorted(LitestarConfig.__annotations__)
DEPENDENCY_KEYS = ("connection_key", "pool_key", "session_key")

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.lists(st.integers() | st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
"""Values of every wrong type."""

IDENTIFIERS = st.sampled_from(["db_session", "db_connection", "db_pool", "session", "conn", "pool", "db", "s2"])
STATUSES = st.lists(st.sampled_from([200, 201, 204, 302, 304, 400, 404, 409, 418, 500]), max_size=3)
HEADERS = st.sampled_from(["x-request-id", "X-Correlation-ID", "traceparent", "x-my-id"])
GOOD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "connection_key": IDENTIFIERS,
    "pool_key": IDENTIFIERS,
    "session_key": IDENTIFIERS,
    "commit_mode": st.sampled_from([*CommitMode, *(mode.value for mode in CommitMode)]),
    "extra_commit_statuses": STATUSES | STATUSES.map(tuple) | STATUSES.map(set),
    "extra_rollback_statuses": STATUSES | STATUSES.map(frozenset),
    "disable_di": st.booleans(),
    "manage_lifespan": st.booleans(),
    "session_table": st.booleans() | st.sampled_from(["kv_store", "sessions"]),
    "default_store": st.booleans(),
    "cleanup_interval": st.none() | st.floats(0.05, 3600) | st.integers(1, 86_400),
    "in_memory": st.booleans(),
    "store_synchronous_commit": st.booleans(),
    "channels_table": st.booleans() | st.just("events"),
    "migrations_path": st.just("litestar_sqlspec:migrations"),
    "manage_schema": st.booleans(),
    "create_schema": st.booleans(),
    "enable_correlation_middleware": st.booleans(),
    "correlation_header": HEADERS,
    "correlation_headers": st.lists(HEADERS, max_size=2) | st.lists(HEADERS, max_size=2).map(tuple),
    "auto_trace_headers": st.booleans(),
    "enable_sqlcommenter_middleware": st.booleans(),
    # The store table's DDL options: validated on every config, rendered where the dialect has them (not SQLite).
    "fillfactor": st.integers(10, 100),
    "autovacuum_vacuum_scale_factor": st.floats(0, 1) | st.integers(0, 1),
    "autovacuum_analyze_scale_factor": st.floats(0, 1),
    "enable_hash_sharded_indexes": st.booleans(),
    "hash_shard_bucket_count": st.integers(2, 2048),
    "ttl_expiration_expression": st.booleans() | st.just("expires_at"),
    "shard_count": st.integers(0, 64),
    "compression": st.fixed_dictionaries({}, optional={"enabled": st.booleans(), "algorithm": st.just("basic")}),
    "partitioning": st.booleans() | st.just({"strategy": "hash", "partition_count": 4}),
    "table_options": st.sampled_from(["", "PCTFREE 20"]),
    "index_options": st.just("COMMENT 'x'"),
    "partition_expiration_days": st.integers(1, 365),
    "require_partition_filter": st.booleans(),
    "pragma_profile": st.booleans(),
    "pragma_overrides": st.just({"cache_size": -2000}),
}
assert sorted(GOOD_VALUES) == KNOWN_KEYS, "a LitestarConfig key without a strategy"

UNKNOWN_KEYS: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(["comit_mode", "session", "pool", "sessionkey", "COMMIT_MODE", "", " ", "x" * 40]),
    st.text(min_size=1, max_size=10).filter(lambda key: key not in GOOD_VALUES),
    st.integers(),
)


@st.composite
def litestar_options(draw: st.DrawFn, *, junk: bool) -> dict[Any, Any]:
    """An ``extension_config["litestar"]``: some known keys (with a wrong value now and then), maybe an unknown key."""
    options: dict[Any, Any] = {}
    for key in draw(st.lists(st.sampled_from(KNOWN_KEYS), max_size=5, unique=True)):
        wrong = junk and draw(st.integers(0, 3)) == 0
        options[key] = draw(JUNK if wrong else GOOD_VALUES[key])
    if junk and draw(st.integers(0, 5)) == 0:
        options[draw(UNKNOWN_KEYS)] = draw(JUNK)
    return options


def sqlite_config(kind: str, path: Path, options: Any, bind_key: str) -> Any:
    config_type: Any = AiosqliteConfig if kind == "aiosqlite" else SqliteConfig
    return config_type(
        connection_config={"database": str(path)}, extension_config={"litestar": options}, bind_key=bind_key
    )


def plugin_for(configs: list[Any]) -> SQLSpecPlugin:
    spec = SQLSpec()
    for config in configs:
        spec.add_config(config)
    return SQLSpecPlugin(spec)


def assert_clear(error: ImproperConfigurationError, configs: list[Any], drawn: list[dict[Any, Any]]) -> None:
    """The error names one of the configs and one of the keys or values that were set."""
    message = str(error)
    assert any(f"bind_key={config.bind_key!r}" in message for config in configs), message
    culprits = set(DEPENDENCY_KEYS)  # a default key clashing with a key set on another config
    for options in drawn:
        culprits |= {repr(key) for key in options} | {str(key) for key in options if key in GOOD_VALUES}
        culprits |= {repr(value) for value in options.values() if isinstance(value, str)}
    assert any(culprit in message for culprit in culprits), message


@settings(FAST, max_examples=400)
@given(
    kinds=st.lists(st.sampled_from(["aiosqlite", "sqlite"]), min_size=1, max_size=2),
    drawn=st.lists(litestar_options(junk=True), min_size=2, max_size=2),
)
@example(kinds=["sqlite"], drawn=[{"extra_commit_statuses": {200: "ok"}}, {}])  # a dict iterates its keys: accepted
def test_a_bad_configuration_fails_when_the_app_is_built_and_names_the_culprit(
    kinds: list[str], drawn: list[dict[Any, Any]], tmp_path: Path
) -> None:
    configs = [
        sqlite_config(kind, tmp_path / "unused.db", dict(options), bind_key=f"config{index}")
        for index, (kind, options) in enumerate(zip(kinds, drawn, strict=False))
    ]
    try:
        Litestar(plugins=[plugin_for(configs)])
    except ImproperConfigurationError as error:
        assert_clear(error, configs, drawn[: len(configs)])


@pytest.mark.parametrize(
    ("kinds", "drawn"),
    [
        (["aiosqlite", "aiosqlite"], [{"default_store": True}, {"default_store": True}]),
        (["aiosqlite", "sqlite"], [{}, {}]),  # the same default keys twice
        (["sqlite"], [{"session_key": "db_pool"}, {}]),
        (["sqlite"], [{"extra_commit_statuses": [409], "extra_rollback_statuses": (409,)}, {}]),
        (["sqlite"], [{"commit_mode": ["autocommit"]}, {}]),  # unhashable
        (["sqlite"], [{"cleanup_interval": math.nan}, {}]),
        (["sqlite"], [{"session_table": "x; DROP TABLE y"}, {}]),
    ],
)
def test_known_bad_configurations_are_refused(kinds: list[str], drawn: list[dict[Any, Any]], tmp_path: Path) -> None:
    """The property above only checks refusals are clear; these must be refused at all."""
    configs = [
        sqlite_config(kind, tmp_path / "unused.db", dict(options), bind_key=f"config{index}")
        for index, (kind, options) in enumerate(zip(kinds, drawn, strict=False))
    ]
    with pytest.raises(ImproperConfigurationError) as error:
        Litestar(plugins=[plugin_for(configs)])
    assert_clear(error.value, configs, drawn[: len(configs)])


SESSION: Any = NamedDependency[Any]  # type: ignore[misc]


def handler_using(session_key: str, *, is_async: bool) -> HTTPRouteHandler:
    """``GET /`` whose one parameter is named by ``session_key``, as an app with that key would write it."""

    async def read_async(**dependencies: Any) -> int:
        value: int = await dependencies[session_key].select_value("SELECT 1")
        return value

    def read_sync(**dependencies: Any) -> int:
        value: int = dependencies[session_key].select_value("SELECT 1")
        return value

    read: Any = read_async if is_async else read_sync
    read.__signature__ = inspect.Signature(
        [inspect.Parameter(session_key, inspect.Parameter.KEYWORD_ONLY, annotation=SESSION)], return_annotation=int
    )
    read.__annotations__ = {session_key: SESSION, "return": int}
    return get("/")(read) if is_async else get("/", sync_to_thread=True)(read)


@get("/ping")
async def ping() -> str:
    return "pong"


def test_an_accepted_configuration_serves_a_request_with_its_session(tmp_path: Path) -> None:
    tried, counter = Counter[str](), itertools.count()

    @settings(FAST, max_examples=25)
    @given(kind=st.sampled_from(["aiosqlite", "sqlite"]), options=litestar_options(junk=False))
    @example(kind="sqlite", options={"cleanup_interval": 0.05, "session_table": "kv_store", "default_store": True})
    @example(kind="aiosqlite", options={"manage_lifespan": False, "commit_mode": "autocommit"})
    @example(kind="aiosqlite", options={"disable_di": True, "manage_lifespan": True})
    def check(kind: str, options: dict[str, Any]) -> None:
        tried["examples"] += 1
        config = sqlite_config(kind, tmp_path / f"{next(counter)}.db", dict(options), bind_key="fuzzed")
        try:
            plugin = plugin_for([config])
            handlers = [ping]
            if not options.get("disable_di", False):
                handlers.append(handler_using(options.get("session_key", "db_session"), is_async=config.is_async))
            app = Litestar(handlers, plugins=[plugin])
        except ImproperConfigurationError as error:
            assert_clear(error, [config], [options])
            return
        tried["served"] += 1
        try:
            with TestClient(app) as client:
                assert client.get("/ping").text == "pong"
                if len(handlers) == 2:
                    response = client.get("/")
                    assert (response.status_code, response.text) == (200, "1")
        finally:
            if config.is_async:
                with start_blocking_portal() as portal:
                    portal.call(config.close_pool)
            else:
                config.close_pool()

    check()
    assert tried["examples"] >= 25
    assert tried["served"] >= 10


# create_filter_dependencies

COLUMN_NAMES = st.sampled_from(["id", "name", "created_at", "t.title", "Name", "bad name", "x;--", "", "1a", "a.b.c"])
COLUMNS = (
    COLUMN_NAMES
    | st.lists(COLUMN_NAMES, max_size=3)
    | st.sets(COLUMN_NAMES, max_size=3)
    | COLUMN_NAMES.map(lambda name: f"{name}, other")
)
FIELDS = COLUMNS | st.builds(FieldNameType, COLUMN_NAMES, st.sampled_from([str, int, bool])).map(lambda f: [f])
CHOICES = st.builds(ChoiceField, COLUMN_NAMES, st.lists(st.integers(0, 3) | st.text(max_size=3) | JUNK, max_size=3))
GOOD_FILTER_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id_filter": st.sampled_from([int, str, bool]),
    "id_field": COLUMN_NAMES,
    "sort_field": COLUMNS,
    "sort_field_aliases": st.dictionaries(st.text(max_size=5), COLUMN_NAMES | JUNK, max_size=2),
    "sort_field_camelize": st.booleans(),
    "sort_order": st.sampled_from(["asc", "desc", "ASC", "up"]),
    "pagination_type": st.sampled_from(["limit_offset", "cursor", "pages"]),
    "cursor_keys": st.lists(COLUMN_NAMES | st.tuples(COLUMN_NAMES, st.sampled_from(["asc", "desc"])), max_size=2),
    "cursor_secret": st.text(max_size=8) | st.binary(max_size=8),
    "pagination_size": st.integers(-1, 50),
    "pagination_max_size": st.integers(-1, 100),
    "search": COLUMNS,
    "search_ignore_case": st.booleans(),
    "created_at": st.booleans(),
    "updated_at": st.booleans(),
    "not_in_fields": FIELDS,
    "in_fields": FIELDS,
    "null_fields": COLUMNS,
    "not_null_fields": COLUMNS,
    "boolean_fields": COLUMNS,
    "choice_fields": st.lists(CHOICES | COLUMN_NAMES | JUNK, max_size=2) | CHOICES,
}
assert sorted(GOOD_FILTER_VALUES) == sorted(FilterConfig.__annotations__), "a FilterConfig key without a strategy"


@st.composite
def filter_configs(draw: st.DrawFn) -> dict[Any, Any]:
    config: dict[Any, Any] = {}
    for key in draw(st.lists(st.sampled_from(sorted(GOOD_FILTER_VALUES)), max_size=5, unique=True)):
        config[key] = draw(JUNK if draw(st.integers(0, 3)) == 0 else GOOD_FILTER_VALUES[key])
    if draw(st.integers(0, 7)) == 0:
        config[draw(st.sampled_from(["sortField", "order_by", "filters", "id_filters"]))] = draw(JUNK)
    return config


def test_a_fuzzed_filter_config_builds_working_dependencies_or_fails_clearly() -> None:
    tried = Counter[str]()

    @settings(FAST, max_examples=300)
    @given(config=filter_configs())
    @example(config={"pagination_type": "cursor", "cursor_keys": ["id"], "cursor_secret": ""})
    @example(config={"sort_field": "name", "sort_field_aliases": {"": "name"}})
    @example(config={"in_fields": ["id"], "not_in_fields": ["id"], "null_fields": "id", "boolean_fields": "id"})
    def check(config: dict[Any, Any]) -> None:
        tried["examples"] += 1
        try:
            dependencies: dict[Any, Any] = create_filter_dependencies(config)  # type: ignore[arg-type]
        except ImproperConfigurationError as error:
            message = str(error)
            assert message.startswith(("FilterConfig", "ChoiceField")), message
            return
        assert all(isinstance(key, str) and isinstance(value, Provide) for key, value in dependencies.items())
        if not dependencies:
            return
        tried["built"] += 1

        @get("/items", dependencies=dependencies)
        async def items(filters: NamedDependency[SkipValidation[list[FilterTypes]]]) -> int:
            return len(filters)

        with TestClient(Litestar([items])) as client:
            response = client.get("/items")
        assert response.status_code == 200, response.text

    check()
    assert tried["examples"] >= 300
    assert tried["built"] >= 15


def test_an_alias_to_a_list_is_refused_clearly() -> None:
    with pytest.raises(ImproperConfigurationError, match="sort_field_aliases"):
        create_filter_dependencies({"sort_field": "name", "sort_field_aliases": {"by": ["name"]}})  # type: ignore[dict-item]


def test_a_choice_field_that_is_not_a_field_is_refused_clearly() -> None:
    with pytest.raises(ImproperConfigurationError, match="choice_fields"):
        create_filter_dependencies({"choice_fields": [1]})  # type: ignore[list-item]


def test_unhashable_choices_are_refused_clearly() -> None:
    with pytest.raises(ImproperConfigurationError, match="ChoiceField 'status'"):
        create_filter_dependencies({"choice_fields": [ChoiceField("status", [["a"]])]})
