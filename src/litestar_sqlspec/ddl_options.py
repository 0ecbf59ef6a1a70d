"""The store table's DDL options: the ``extension_config["litestar"]`` keys that shape its ``CREATE`` statements.

sqlspec's per-adapter stores read these keys (``fillfactor`` on PostgreSQL, ``table_options`` on MySQL, Oracle's
``compression`` and ``partitioning``, …). Here every key is validated the same way on every config, so that a
configuration stays portable, and each dialect renders the keys it has into its DDL and ignores the others
(``DDL_OPTIONS``, one entry per dialect). ``dialects.store_statements_for`` fills the rendered clauses into the DDL
templates, so that ``SQLSpecStore.create_table()`` and the ``ext_litestar_`` migration create the same table.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from sqlspec.exceptions import ImproperConfigurationError

__all__ = (
    "DDL_OPTIONS",
    "DDL_OPTION_KEYS",
    "ORACLE_COMPRESSION",
    "SLOT_NAMES",
    "OracleLitestarCompressionConfig",
    "OracleLitestarPartitionConfig",
    "Slot",
    "check_ddl_options",
    "ddl_clauses",
)


class OracleLitestarCompressionConfig(TypedDict):
    """Oracle: ``extension_config["litestar"]["compression"]``, the store table's compression."""

    enabled: NotRequired[bool]
    """Compress the table. Default ``False``."""
    algorithm: NotRequired[str]
    """A key of ``ORACLE_COMPRESSION``. Default ``"advanced"``."""


class OracleLitestarPartitionConfig(TypedDict):
    """Oracle: ``extension_config["litestar"]["partitioning"]``, the store table's partitioning."""

    strategy: NotRequired[str]
    """``"hash"``; unset: no partitioning."""
    partition_count: NotRequired[int]
    """Hash partitions, at least 2. Default 16."""
    partitions: NotRequired[int]
    """Another name of ``partition_count``."""
    interval: NotRequired[str]
    """Accepted for sqlspec's range strategy, which this store refuses."""
    initial_less_than: NotRequired[str]
    """Accepted for sqlspec's range strategy, which this store refuses."""
    partition_key: NotRequired[str]
    """``"store_key"`` (default), ``"ns"``, or sqlspec's ``"session_id"`` (this store's ``store_key``)."""
    session_partition_key: NotRequired[str]
    """Overrides ``partition_key``."""


Check = Callable[[Any], str | None]
"""Why a value (never ``None``: unset) is refused, completing ``"key=value "``; ``None`` when it is accepted."""


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be a bool"


def _int_in(low: int, high: int | None = None) -> Check:
    allowed = f"an int from {low} to {high}" if high is not None else f"an int of at least {low}"

    def check(value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and low <= value and (high is None or value <= high):
            return None
        return f"must be {allowed}"

    return check


def _number_in(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high:
            return None
        return f"must be a number from {low:g} to {high:g}"

    return check


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a str (DDL appended as written)"


def _one_of(*allowed: str) -> Check:
    def check(value: Any) -> str | None:
        ok = isinstance(value, str) and value.lower() in allowed
        return None if ok else f"must be one of {', '.join(map(repr, allowed))}"

    return check


def _fields(fields: dict[str, Check]) -> Check:
    def check(value: Any) -> str | None:
        if not isinstance(value, Mapping):
            return f"must be a dict with the keys {', '.join(fields)}"
        for name, item in value.items():
            field = fields.get(name)
            if field is None:
                return f"has unknown key {name!r}; allowed: {', '.join(fields)}"
            if item is not None and (problem := field(item)) is not None:
                return f"is invalid: {name}={item!r} {problem}"
        return None

    return check


ORACLE_COMPRESSION = {
    "basic": "ROW STORE COMPRESS BASIC",
    "oltp": "ROW STORE COMPRESS ADVANCED",
    "advanced": "ROW STORE COMPRESS ADVANCED",
    "query_low": "COLUMN STORE COMPRESS FOR QUERY LOW",
    "query_high": "COLUMN STORE COMPRESS FOR QUERY HIGH",
    "archive_low": "COLUMN STORE COMPRESS FOR ARCHIVE LOW",
    "archive_high": "COLUMN STORE COMPRESS FOR ARCHIVE HIGH",
}
"""Oracle's table compression clauses by sqlspec's algorithm names."""

_ORACLE_PARTITION_KEYS = {"store_key": "store_key", "ns": "ns", "session_id": "store_key"}
# Range partitioning (sqlspec's on expires_at) cannot be offered: the store keeps expires_at as BINARY_DOUBLE seconds,
# NULL for keys that never expire, and Oracle's interval partitioning takes neither. expires_at cannot be a hash key
# either: renewal updates it, which would move rows between partitions.
_RANGE_REFUSED = (
    "must be 'hash'; 'range' is not available: it partitions by expires_at, which this store keeps as BINARY_DOUBLE "
    "seconds and NULL for keys that never expire, and Oracle's interval partitioning takes neither"
)


def _strategy(value: Any) -> str | None:
    if isinstance(value, str) and value.lower() in ("hash", ""):
        return None
    return _RANGE_REFUSED if isinstance(value, str) and value.lower() == "range" else "must be 'hash'"


_PRAGMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PRAGMA_VALUE = re.compile(r"[A-Za-z0-9_.\-]+")


def _pragmas(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "must be a dict of PRAGMA names to values"
    for name, item in value.items():
        if not isinstance(name, str) or not _PRAGMA_NAME.fullmatch(name):
            return f"has PRAGMA name {name!r}; allowed: letters, digits and underscores, not starting with a digit"
        if not isinstance(item, bool | int) and not (isinstance(item, str) and _PRAGMA_VALUE.fullmatch(item)):
            return f"has {name}={item!r}; allowed values: bool, int, or letters, digits, '_', '.', '-'"
    return None


def _partitioning(value: Any) -> str | None:
    if isinstance(value, bool):
        return None  # BigQuery's form
    if not isinstance(value, Mapping):
        return "must be a bool (BigQuery) or a dict (Oracle, OracleLitestarPartitionConfig)"
    return _fields(_PARTITION_FIELDS)(value)


_PARTITION_FIELDS: dict[str, Check] = {
    "strategy": _strategy,
    "partition_count": _int_in(2, 1_048_575),
    "partitions": _int_in(2, 1_048_575),
    "interval": _text,
    "initial_less_than": _text,
    "partition_key": _one_of(*_ORACLE_PARTITION_KEYS),
    "session_partition_key": _one_of(*_ORACLE_PARTITION_KEYS),
}

DDL_OPTION_KEYS: dict[str, Check] = {
    "fillfactor": _int_in(10, 100),
    "autovacuum_vacuum_scale_factor": _number_in(0, 1),
    "autovacuum_analyze_scale_factor": _number_in(0, 1),
    "enable_hash_sharded_indexes": _bool,
    "hash_shard_bucket_count": _int_in(2, 2048),
    "ttl_expiration_expression": lambda value: (
        None if isinstance(value, bool) or value == "expires_at" else "must be True, False or 'expires_at'"
    ),
    "shard_count": _int_in(0),
    "in_memory": _bool,
    "compression": _fields({"enabled": _bool, "algorithm": _one_of(*ORACLE_COMPRESSION)}),
    "partitioning": _partitioning,
    "table_options": _text,
    "index_options": _text,
    "partition_expiration_days": _int_in(1),
    "require_partition_filter": _bool,
    "pragma_profile": _bool,
    "pragma_overrides": _pragmas,
}
"""Each DDL option and its check; ``None`` counts as unset for every key."""


def check_ddl_options(label: str, options: Any) -> None:
    """Validate the DDL options of one config's ``extension_config["litestar"]`` (whatever its dialect).

    Raises:
        ImproperConfigurationError: naming ``label``, the key, the bad value and what is allowed.
    """
    if not isinstance(options, Mapping):
        return  # read_settings refuses it; a store reads no options from it
    for key, check in DDL_OPTION_KEYS.items():
        value = options.get(key)
        if value is not None and (problem := check(value)) is not None:
            msg = f'{label}: extension_config["litestar"] {key}={value!r} {problem}'
            raise ImproperConfigurationError(msg)


Render = Callable[[Mapping[str, Any]], str]
"""One clause from validated options; ``""`` when it does not apply."""


def _setting(key: str, template: str) -> Render:
    return lambda options: "" if options.get(key) is None else template.format(options[key])


def _when(key: str, clause: str) -> Render:
    return lambda options: clause if options.get(key) else ""


def _raw(key: str) -> Render:
    return lambda options: str(options.get(key) or "").strip()


def _sharded(template: str) -> Render:
    return lambda options: template.format(options["shard_count"]) if (options.get("shard_count") or 0) > 1 else ""


def _oracle_compression(options: Mapping[str, Any]) -> str:
    compression = options.get("compression")
    if not isinstance(compression, Mapping) or not compression.get("enabled"):
        return ""
    return ORACLE_COMPRESSION[str(compression.get("algorithm") or "advanced").lower()]


def _first(mapping: Mapping[str, Any], *keys: str) -> Any:
    return next((mapping[key] for key in keys if mapping.get(key) is not None), None)


def _oracle_partitioning(options: Mapping[str, Any]) -> str:
    partitioning = options.get("partitioning")
    if not isinstance(partitioning, Mapping) or not partitioning.get("strategy"):
        return ""
    key = str(_first(partitioning, "session_partition_key", "partition_key") or "store_key").lower()
    count = _first(partitioning, "partition_count", "partitions") or 16
    return f"PARTITION BY HASH ({_ORACLE_PARTITION_KEYS[key]}) PARTITIONS {count}"


def _hash_sharded(options: Mapping[str, Any]) -> str:
    if not options.get("enable_hash_sharded_indexes"):
        return ""
    buckets = options.get("hash_shard_bucket_count")
    return "USING HASH" if buckets is None else f"USING HASH WITH (bucket_count = {buckets})"


def _bigquery_partition(options: Mapping[str, Any]) -> str:
    keys = ("partitioning", "require_partition_filter", "partition_expiration_days")
    return "PARTITION BY DATE(expires_at)" if any(options.get(key) for key in keys) else ""


@dataclass(frozen=True, slots=True)
class Slot:
    """Clauses that go into ``{name}`` of a dialect's DDL templates: the non-empty parts, joined, in ``wrap``."""

    name: str
    parts: tuple[Render, ...]
    wrap: str = " {}"
    separator: str = " "


SLOT_NAMES = ("options", "index_options", "shard_column", "key_prefix")
"""``{options}``: after the table's column list; ``{index_options}``: after the expiry index's column list;
``{shard_column}``: a further column; ``{key_prefix}``: leading columns of the primary key and the expiry index."""

_PG_RELOPTIONS = (
    _setting("fillfactor", "fillfactor = {}"),
    _setting("autovacuum_vacuum_scale_factor", "autovacuum_vacuum_scale_factor = {}"),
    _setting("autovacuum_analyze_scale_factor", "autovacuum_analyze_scale_factor = {}"),
)

DDL_OPTIONS: dict[str, tuple[Slot, ...]] = {
    "postgres": (Slot("options", _PG_RELOPTIONS, wrap=" WITH ({})", separator=", "),),
    "mysql": (Slot("options", (_raw("table_options"),)), Slot("index_options", (_raw("index_options"),))),
    "oracle": (
        Slot(
            "options",
            (
                _oracle_compression,
                _when("in_memory", "INMEMORY PRIORITY HIGH"),
                _raw("table_options"),
                _oracle_partitioning,
            ),
        ),
    ),
    # CockroachDB's TTL takes a TIMESTAMPTZ expression (NULL: never deleted); the store's expires_at is epoch seconds.
    "cockroachdb": (
        Slot(
            "options",
            (_when("ttl_expiration_expression", "ttl_expiration_expression = 'to_timestamp(expires_at)'"),),
            wrap=" WITH ({})",
        ),
        Slot("index_options", (_hash_sharded,)),
    ),
    # Dialects without a store entry yet: what their entry would get.
    # Spanner: shard_id leads the primary key and the expiry index; the entry's lookups must then filter on it.
    "spanner": (
        Slot("options", (_raw("table_options"),), wrap=" OPTIONS ({})"),
        Slot("index_options", (_raw("index_options"),), wrap=" OPTIONS ({})"),
        Slot("shard_column", (_sharded(", shard_id INT64 AS (MOD(FARM_FINGERPRINT(store_key), {})) STORED"),), "{}"),
        Slot("key_prefix", (_sharded("shard_id, "),), wrap="{}"),
    ),
    # BigQuery: DATE(expires_at) needs the entry's expires_at to be a TIMESTAMP.
    "bigquery": (
        Slot("options", (_bigquery_partition,)),
        Slot(
            "options",
            (
                _when("require_partition_filter", "require_partition_filter = TRUE"),
                _setting("partition_expiration_days", "partition_expiration_days = {}"),
            ),
            wrap=" OPTIONS ({})",
            separator=", ",
        ),
    ),
}
"""Per dialect, where its DDL options go; a dialect without an entry (SQLite, DuckDB) ignores them all. sqlspec's
SQLite ``pragma_profile``/``pragma_overrides`` are connection settings, not DDL: validated, never rendered."""


def ddl_clauses(dialect: str, options: Mapping[str, Any]) -> dict[str, str]:
    """The clauses ``options`` (validated by ``check_ddl_options``) give ``dialect``'s DDL, by ``SLOT_NAMES``."""
    clauses = dict.fromkeys(SLOT_NAMES, "")
    for slot in DDL_OPTIONS.get(dialect, ()):
        parts = [part for render in slot.parts if (part := render(options))]
        if parts:
            clauses[slot.name] += slot.wrap.format(slot.separator.join(parts))
    return clauses
