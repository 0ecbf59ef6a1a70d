"""Per-config settings: the ``extension_config["litestar"]`` keys, their defaults and their validation."""

import difflib
import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, NotRequired, TypedDict, TypeGuard

from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec.correlation import DEFAULT_CORRELATION_HEADER, TRACE_HEADERS, is_header_name
from litestar_sqlspec.ddl_options import (
    OracleLitestarCompressionConfig,
    OracleLitestarPartitionConfig,
    check_ddl_options,
)

__all__ = (
    "DEFAULT_COMMIT_MODE",
    "DEFAULT_CONNECTION_KEY",
    "DEFAULT_POOL_KEY",
    "DEFAULT_SESSION_KEY",
    "EXTENSION_NAME",
    "QUALIFIED_NAME",
    "RESERVED_WORDS",
    "CommitMode",
    "ConfigSettings",
    "LitestarConfig",
    "config_label",
    "configured_table",
    "extension_options",
    "is_identifier",
    "read_settings",
    "table_name_problem",
    "table_or_refuse",
)

EXTENSION_NAME = "litestar"
DEFAULT_CONNECTION_KEY = "db_connection"
DEFAULT_POOL_KEY = "db_pool"
DEFAULT_SESSION_KEY = "db_session"


class CommitMode(StrEnum):
    """When the plugin ends a request's transaction for the handler.

    Members compare equal to their string values, so ``"autocommit"`` and ``CommitMode.autocommit`` are interchangeable.
    """

    manual = "manual"
    """Never commit for the handler; anything left uncommitted is rolled back when the connection is released."""
    autocommit = "autocommit"
    """Commit on 2xx responses (plus ``extra_commit_statuses``), roll back otherwise."""
    autocommit_include_redirect = "autocommit_include_redirect"
    """Commit on 2xx and 3xx responses (plus ``extra_commit_statuses``), roll back otherwise."""


DEFAULT_COMMIT_MODE = CommitMode.manual

CommitModeName = Literal["manual", "autocommit", "autocommit_include_redirect"]


class LitestarConfig(TypedDict):
    """Keys of ``extension_config["litestar"]`` on a sqlspec database config; every key is optional."""

    connection_key: NotRequired[str]
    """Dependency key of the request's connection. Default ``"db_connection"``."""
    pool_key: NotRequired[str]
    """Dependency key of the pool, and its key in ``app.state``. Default ``"db_pool"``."""
    session_key: NotRequired[str]
    """Dependency key of the request's driver session. Default ``"db_session"``."""
    commit_mode: NotRequired[CommitModeName | CommitMode]
    """``"manual"`` (default), ``"autocommit"`` or ``"autocommit_include_redirect"``."""
    extra_commit_statuses: NotRequired[Iterable[int]]
    """Further status codes that commit in the autocommit modes."""
    extra_rollback_statuses: NotRequired[Iterable[int]]
    """Status codes that always roll back, even when the commit mode would commit them."""
    disable_di: NotRequired[bool]
    """Register no dependencies and manage no request transactions for this config. Default ``False``."""
    manage_lifespan: NotRequired[bool]
    """Create the pool at startup and close it at shutdown. Default: ``not disable_di``."""
    session_table: NotRequired[bool | str]
    """Table of the SQL store; ``True`` means ``"litestar_session"``."""
    default_store: NotRequired[bool]
    """Make this config's SQL store the app's default store: every store name Litestar asks for (``sessions``,
    ``response_cache``, ``rate_limit``, …) gets its own namespace in the session table. Default ``False``."""
    cleanup_interval: NotRequired[float]
    """Seconds between deletions of expired store rows by a task of the app's lifespan. Default: no such task."""
    store_synchronous_commit: NotRequired[bool]
    """PostgreSQL: whether the SQL store's writes wait for their commit to be flushed to disk. Default ``False``: a
    write returns once committed, and a crash of the database server (not of the app) can lose the last fraction of a
    second of store writes — sessions, cached responses, rate-limit counts, as Redis does by default. ``True``:
    every write is durable when it returns, at the price of one disk flush each."""
    in_memory: NotRequired[bool]
    """Oracle: create the store table ``INMEMORY PRIORITY HIGH`` (needs the licensed In-Memory option)."""
    # The store table's DDL options (sqlspec's per-adapter keys): checked and rendered by ddl_options.py, each where
    # its dialect has it; docs/configuration.md lists them.
    fillfactor: NotRequired[int]
    """PostgreSQL: the store table's fillfactor, 10 to 100. Default: the server's (100)."""
    autovacuum_vacuum_scale_factor: NotRequired[float]
    """PostgreSQL: the store table's ``autovacuum_vacuum_scale_factor``, 0 to 1. Default: the server's."""
    autovacuum_analyze_scale_factor: NotRequired[float]
    """PostgreSQL: the store table's ``autovacuum_analyze_scale_factor``, 0 to 1. Default: the server's."""
    enable_hash_sharded_indexes: NotRequired[bool]
    """CockroachDB: a hash-sharded expiry index. Default ``False``."""
    hash_shard_bucket_count: NotRequired[int]
    """CockroachDB: the hash-sharded index's buckets, 2 to 2048. Default: the server's."""
    ttl_expiration_expression: NotRequired[bool | Literal["expires_at"]]
    """CockroachDB: row-level TTL on the expiry (``True`` or ``"expires_at"``). Default ``False``."""
    shard_count: NotRequired[int]
    """Spanner: shards of the key (0 or 1: none)."""
    compression: NotRequired[OracleLitestarCompressionConfig]
    """Oracle: the store table's compression."""
    partitioning: NotRequired[bool | OracleLitestarPartitionConfig]
    """BigQuery: ``True`` partitions the table by expiry date. Oracle: a dict, the table's hash partitioning."""
    table_options: NotRequired[str]
    """MySQL/MariaDB, Oracle: DDL appended to the store's ``CREATE TABLE``; Spanner: its ``OPTIONS (…)``."""
    index_options: NotRequired[str]
    """MySQL/MariaDB: DDL appended to the expiry index's definition; Spanner: its ``OPTIONS (…)``."""
    partition_expiration_days: NotRequired[int]
    """BigQuery: days a partition is kept (at least 1); partitions the table."""
    require_partition_filter: NotRequired[bool]
    """BigQuery: queries must filter on the partition; partitions the table."""
    pragma_profile: NotRequired[bool]
    """SQLite: accepted and checked for compatibility; PRAGMAs are connection settings (``driver_features``)."""
    pragma_overrides: NotRequired[dict[str, str | int | bool]]
    """SQLite: accepted and checked for compatibility; PRAGMAs are connection settings (``driver_features``)."""
    channels_table: NotRequired[bool | str]
    """Table of the channels backend; ``True`` means ``"litestar_channels"``."""
    migrations_path: NotRequired[str | Path]
    """Directory (or ``"module:subdir"``) of this extension's migrations. The plugin sets it to this package's
    (``"litestar_sqlspec:migrations"``) unless given."""
    manage_schema: NotRequired[bool]
    """Accepted for compatibility with sqlspec's extension."""
    create_schema: NotRequired[bool]
    """Create a missing store or channels table on first use. Default ``True``; ``False``: the first use fails,
    naming the table and how to create it (``create_table()`` or the ``ext_litestar_`` migrations)."""
    enable_correlation_middleware: NotRequired[bool]
    """Give every request a correlation id (``CorrelationMiddleware``): read from the request headers below or
    generated, bound to sqlspec's ``CorrelationContext`` while the request runs, and echoed in the response header
    ``correlation_header``. Default ``True``; the plugin installs no middleware when every config sets ``False``."""
    correlation_header: NotRequired[str]
    """Request header read first for the correlation id, and the response header it is echoed in (the first
    enabled config's). Default ``"x-request-id"``."""
    correlation_headers: NotRequired[tuple[str, ...] | list[str]]
    """Further request headers read, in order, after ``correlation_header``. Default: none."""
    auto_trace_headers: NotRequired[bool]
    """Also read ``x-correlation-id``, ``traceparent`` (its trace id), ``x-cloud-trace-context``,
    ``x-amzn-trace-id``, ``x-b3-traceid`` and ``x-client-trace-id``, after the configured headers. Default ``True``."""
    enable_sqlcommenter_middleware: NotRequired[bool]
    """Accepted for compatibility with sqlspec's extension."""


_KNOWN_KEYS = frozenset(LitestarConfig.__annotations__)
_BOOL_KEYS = (
    "disable_di",
    "manage_lifespan",
    "manage_schema",
    "create_schema",
    "default_store",
    "store_synchronous_commit",
    "enable_correlation_middleware",
    "auto_trace_headers",
)


@dataclass(frozen=True, slots=True)
class ConfigSettings:
    """Validated, immutable settings of one database config."""

    label: str
    connection_key: str
    pool_key: str
    session_key: str
    commit_mode: CommitMode
    extra_commit_statuses: frozenset[int]
    extra_rollback_statuses: frozenset[int]
    disable_di: bool
    manage_lifespan: bool
    default_store: bool = False
    cleanup_interval: float | None = None
    enable_correlation_middleware: bool = True
    correlation_header: str = DEFAULT_CORRELATION_HEADER
    correlation_headers: tuple[str, ...] = (DEFAULT_CORRELATION_HEADER, *TRACE_HEADERS)
    """Every request header read for the correlation id, in priority order, lowercase and without repeats."""

    @property
    def dependency_keys(self) -> tuple[str, str, str]:
        """The three dependency keys this config registers."""
        return (self.connection_key, self.pool_key, self.session_key)

    def commits(self, status: int) -> bool:
        """Whether a response with ``status`` commits the request's transaction."""
        if self.commit_mode is CommitMode.manual or status in self.extra_rollback_statuses:
            return False
        if status in self.extra_commit_statuses:
            return True
        upper = 400 if self.commit_mode is CommitMode.autocommit_include_redirect else 300
        return 200 <= status < upper


def config_label(config: Any) -> str:
    """Name a config in messages: its type and, when set, its bind key."""
    bind_key = getattr(config, "bind_key", None)
    return f"{type(config).__name__}(bind_key={bind_key!r})" if bind_key else type(config).__name__


def extension_options(config: Any) -> Any:
    """The raw ``extension_config["litestar"]`` of ``config`` (``{}`` when absent); ``read_settings`` validates it."""
    return (getattr(config, "extension_config", None) or {}).get(EXTENSION_NAME) or {}


def configured_table(config: Any, key: str, default: str, *, when_unset: bool = True) -> str | None:
    """The table named by ``extension_config["litestar"][key]``.

    ``default`` for ``True``, ``None`` for ``False`` (the config has no such table); an unset key counts as
    ``when_unset``.
    """
    setting = extension_options(config).get(key, when_unset)
    if setting is False:
        return None
    return default if setting is True or setting is None else setting


def table_or_refuse(config: Any, key: str, default: str, table_name: str | None) -> str:
    """``table_name`` if given, else the configured table; a clear error when ``key`` is ``False`` and none is given."""
    if table_name is not None:
        return table_name
    table = configured_table(config, key, default)
    if table is None:
        msg = (
            f'{config_label(config)}: extension_config["litestar"]["{key}"] is False (this config has no such table); '
            "pass table_name= to use one anyway"
        )
        raise ImproperConfigurationError(msg)
    return table


def _fail(label: str, message: str) -> ImproperConfigurationError:
    return ImproperConfigurationError(f'{label}: extension_config["litestar"] {message}')


def is_identifier(value: object) -> TypeGuard[str]:
    """Whether ``value`` can name a Python parameter (Litestar binds dependencies by parameter name)."""
    return isinstance(value, str) and value.isidentifier() and not keyword.iskeyword(value)


def _identifier(label: str, options: dict[str, Any], name: str, default: str) -> str:
    value = options.get(name, default)
    if not is_identifier(value):
        raise _fail(label, f"{name}={value!r} is not a valid Python identifier (handler parameters are named by it)")
    return value


def _statuses(label: str, options: dict[str, Any], name: str) -> frozenset[int]:
    value = options.get(name)
    if value is None:
        return frozenset()
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise _fail(label, f"{name}={value!r} must be an iterable of HTTP status codes (int)")
    statuses = list(value)
    for status in statuses:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise _fail(label, f"{name} contains {status!r}; allowed: int HTTP status codes from 100 to 599")
    return frozenset(statuses)


def _interval(label: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise _fail(label, f"cleanup_interval={value!r} must be a positive number of seconds")
    return float(value)


QUALIFIED_NAME = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*")
"""An SQL identifier, optionally qualified (``schema.table``, ``table.column``); match it in full."""

RESERVED_WORDS = frozenset(
    """
    access add all alter analyse analyze and any array as asc between both by case cast char check collate column
    comment connect constraint create cross current current_date current_time current_timestamp current_user date
    decimal default deferrable delete desc distinct do drop else end except exists false fetch file float for
    foreign from full grant group having in index initially inner insert integer intersect into is join key lateral
    leading left level like limit localtime localtimestamp long mode natural not null number offset on only option
    or order outer placing primary public raw references resource returning right row rowid rownum rows select
    session session_user set size some start symmetric synonym sysdate table then to trailing trigger true uid union
    unique update user using values varchar varchar2 variadic view when where window with
    """.split()  # noqa: SIM905 - a word list reads best as words
)
"""Words reserved by one of the supported dialects (SQLite, PostgreSQL, Oracle, MySQL): refused as table names, so
that a configuration is portable and never fails inside the driver with a syntax error."""


def table_name_problem(table: object) -> str | None:
    """Why ``table`` cannot name the store's or the channels' table, or ``None`` when it can."""
    if not isinstance(table, str) or not QUALIFIED_NAME.fullmatch(table):
        return "allowed: letters, digits and underscores, not starting with a digit, optionally prefixed by 'schema.'"
    reserved = [part for part in table.split(".") if part.lower() in RESERVED_WORDS]
    if reserved:
        return f"{reserved[0]!r} is a reserved SQL word; choose another name"
    return None


def _table_option(label: str, options: dict[str, Any], name: str) -> None:
    value = options.get(name)
    if value is None or isinstance(value, bool):
        return
    problem = table_name_problem(value)
    if problem is not None:
        raise _fail(label, f"{name}={value!r} must be True, False or a table name; {problem}")


_HEADER_HINT = "is not a valid HTTP header name (a non-empty token such as 'x-request-id')"


def _correlation_headers(label: str, options: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    primary = options.get("correlation_header", DEFAULT_CORRELATION_HEADER)
    if not is_header_name(primary):
        raise _fail(label, f"correlation_header={primary!r} {_HEADER_HINT}")
    extra = options.get("correlation_headers")
    if extra is None:
        extra = ()
    if not isinstance(extra, list | tuple):
        raise _fail(label, f"correlation_headers={extra!r} must be a list or tuple of header names")
    for name in extra:
        if not is_header_name(name):
            raise _fail(label, f"correlation_headers contains {name!r}, which {_HEADER_HINT}")
    names = [primary, *extra, *(TRACE_HEADERS if options.get("auto_trace_headers", True) else ())]
    return primary.lower(), tuple(dict.fromkeys(name.lower() for name in names))


def read_settings(config: Any) -> ConfigSettings:
    """Validate ``config.extension_config["litestar"]`` and return its settings.

    Raises:
        ImproperConfigurationError: naming the config and the bad value, for an unknown key (with the closest valid
            one), a wrong type, an invalid commit mode or status code, overlapping statuses, a key that is not a
            valid Python identifier, a correlation header that is not a valid HTTP header name, or a DDL option out
            of its range.
    """
    label = config_label(config)
    options = extension_options(config)
    if not isinstance(options, dict):
        raise _fail(label, f"must be a dict (LitestarConfig), got {type(options).__name__}")
    for name in options:
        if name not in _KNOWN_KEYS:
            close = difflib.get_close_matches(str(name), sorted(_KNOWN_KEYS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(sorted(_KNOWN_KEYS))}"
            raise _fail(label, f"has unknown key {name!r}{hint}")
    for name in _BOOL_KEYS:
        if name in options and not isinstance(options[name], bool):
            raise _fail(label, f"{name}={options[name]!r} must be a bool")
    check_ddl_options(label, options)
    _table_option(label, options, "session_table")
    _table_option(label, options, "channels_table")

    raw_mode = options.get("commit_mode", DEFAULT_COMMIT_MODE)
    try:
        commit_mode = CommitMode(raw_mode)
    except ValueError:
        allowed = ", ".join(repr(mode.value) for mode in CommitMode)
        raise _fail(label, f"commit_mode={raw_mode!r} is invalid; allowed: {allowed}") from None

    commit_statuses = _statuses(label, options, "extra_commit_statuses")
    rollback_statuses = _statuses(label, options, "extra_rollback_statuses")
    if overlap := commit_statuses & rollback_statuses:
        raise _fail(label, f"extra_commit_statuses and extra_rollback_statuses overlap on {sorted(overlap)}")

    disable_di = bool(options.get("disable_di", False))
    correlation_header, correlation_headers = _correlation_headers(label, options)
    settings = ConfigSettings(
        label=label,
        connection_key=_identifier(label, options, "connection_key", DEFAULT_CONNECTION_KEY),
        pool_key=_identifier(label, options, "pool_key", DEFAULT_POOL_KEY),
        session_key=_identifier(label, options, "session_key", DEFAULT_SESSION_KEY),
        commit_mode=commit_mode,
        extra_commit_statuses=commit_statuses,
        extra_rollback_statuses=rollback_statuses,
        disable_di=disable_di,
        manage_lifespan=bool(options.get("manage_lifespan", not disable_di)),
        default_store=bool(options.get("default_store", False)),
        cleanup_interval=_interval(label, options.get("cleanup_interval")),
        enable_correlation_middleware=bool(options.get("enable_correlation_middleware", True)),
        correlation_header=correlation_header,
        correlation_headers=correlation_headers,
    )
    if len(set(settings.dependency_keys)) != 3:
        raise _fail(label, f"uses one key twice among connection/pool/session keys {settings.dependency_keys}")
    return settings
