"""``SQLSpecStore``: a Litestar ``NamespacedStore`` that lives in a table of the app's own database.

One class for every config: the statements come from the dialect table (``dialects.py``) and run through the async
operations (``_async/store_ops.py``) or, for a sync config, their generated twin in a worker thread. Nothing here
depends on ``__aenter__`` or on the app's lifespan, so the store works when it is created by a registry's default
factory, used from another event loop (``litestar sessions`` runs ``anyio.run``), or before the app starts.
"""

import hashlib
import time
from datetime import timedelta
from typing import Any, Self

from litestar.stores.base import NamespacedStore

from litestar_sqlspec._drivers import driver_for, sql_dialect_of
from litestar_sqlspec.dialects import store_statements_for
from litestar_sqlspec.settings import extension_options, table_or_refuse
from litestar_sqlspec.store_backend import StoreBackend

__all__ = (
    "DEFAULT_NAMESPACE",
    "DEFAULT_SESSION_TABLE",
    "NAMESPACE_SEPARATOR",
    "ADBCStore",
    "AdbcStore",
    "AiomysqlStore",
    "AiosqliteStore",
    "ArrowOdbcStore",
    "AsyncmyStore",
    "AsyncpgStore",
    "BaseSQLSpecStore",
    "BigQueryStore",
    "CockroachAsyncpgStore",
    "CockroachPsycopgAsyncStore",
    "CockroachPsycopgSyncStore",
    "Db2AsyncStore",
    "Db2SyncStore",
    "DuckdbStore",
    "MssqlPythonStore",
    "MysqlConnectorAsyncStore",
    "MysqlConnectorSyncStore",
    "OracleAsyncStore",
    "OracleSyncStore",
    "PsqlpyStore",
    "PsycopgAsyncStore",
    "PsycopgSyncStore",
    "PyMysqlStore",
    "PymssqlStore",
    "SQLSpecStore",
    "SQLiteStore",
    "SpannerAsyncStore",
    "SpannerSyncStore",
    "SqliteStore",
)

DEFAULT_SESSION_TABLE = "litestar_session"
DEFAULT_NAMESPACE = "litestar"
NAMESPACE_SEPARATOR = "/"
_MAX_NAMESPACE_LENGTH = 255


def _validate_namespace(namespace: Any) -> str:
    if not isinstance(namespace, str) or not namespace:
        msg = f"store namespace {namespace!r} is invalid: a non-empty string is required"
        raise ValueError(msg)
    if NAMESPACE_SEPARATOR in namespace or "\x00" in namespace or len(namespace) > _MAX_NAMESPACE_LENGTH:
        msg = (
            f"store namespace {namespace!r} is invalid: it may not contain {NAMESPACE_SEPARATOR!r} (the separator of "
            f"nested namespaces) or NUL, and is limited to {_MAX_NAMESPACE_LENGTH} characters"
        )
        raise ValueError(msg)
    try:
        namespace.encode()
    except UnicodeEncodeError:
        msg = f"store namespace {namespace!r} is invalid: it must be encodable as UTF-8 (no lone surrogates)"
        raise ValueError(msg) from None
    return namespace


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _now() -> float:
    # The Python clock, bound as a parameter: every replica applies one rule, and tests can move time.
    return time.time()


def _key_digest(key: str) -> bytes:
    # Keys are stored hashed: any string (NUL, unicode, lone surrogates, megabytes) fits every dialect's key column.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class BaseSQLSpecStore(NamespacedStore):
    """Litestar store in a SQL table, for any sqlspec config (sync or async, pooled or not).

    Args:
        config: the sqlspec database config whose pool the store uses.
        table_name: the table; default ``extension_config["litestar"]["session_table"]`` or ``"litestar_session"``.
        namespace: this store's namespace; ``with_namespace`` nests further ones below it.
        synchronous_commit: PostgreSQL: whether writes wait for their commit to be flushed to disk; default
            ``extension_config["litestar"]["store_synchronous_commit"]`` or ``False`` (a crash of the database
            server can lose the last fraction of a second of store writes, as Redis does by default; nothing is ever
            half-written or reordered). Other dialects ignore it.
    """

    __slots__ = ("_backend", "config", "table_name")

    def __init__(
        self,
        config: Any,
        *,
        table_name: str | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        synchronous_commit: bool | None = None,
    ) -> None:
        self.config = config
        self.namespace = _validate_namespace(namespace)
        options = extension_options(config)
        table = table_or_refuse(config, "session_table", DEFAULT_SESSION_TABLE, table_name)
        if synchronous_commit is None:
            synchronous_commit = bool(options.get("store_synchronous_commit", False))
        sql = store_statements_for(
            config,
            table,
            dialect=sql_dialect_of(config),
            synchronous_commit=synchronous_commit,
            bytea_arrays=driver_for(config).binds_bytea_arrays,
        )
        self.table_name = sql.table
        self._backend = StoreBackend(config, sql, create_missing=bool(options.get("create_schema", True)))

    def with_namespace(self, namespace: str) -> Self:
        """A store on the same table for the child namespace ``namespace`` of this one."""
        child = object.__new__(type(self))
        child.config = self.config
        child.table_name = self.table_name
        child._backend = self._backend
        child.namespace = f"{self.namespace}{NAMESPACE_SEPARATOR}{_validate_namespace(namespace)}"
        return child

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        """Store ``value`` under ``key`` (replacing value and expiry); ``expires_in`` seconds, 0/None: never."""
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        expires_at = _now() + _seconds(expires_in) if expires_in else None
        await self._backend.call("set", self.namespace, _key_digest(key), data, expires_at)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        """The value of ``key``, or ``None`` when missing or expired; ``renew_for`` resets a set expiry atomically."""
        now = _now()
        if renew_for:
            renewed: bytes | None = await self._backend.call(
                "get_and_renew", self.namespace, _key_digest(key), now, now + _seconds(renew_for)
            )
            return renewed
        return await self._backend.call("get", self.namespace, _key_digest(key), now)  # type: ignore[no-any-return]

    async def delete(self, key: str) -> None:
        """Delete ``key``; nothing happens when it is missing."""
        await self._backend.call("delete", self.namespace, _key_digest(key))

    async def delete_all(self) -> None:
        """Delete every key of this namespace and of the namespaces nested in it (never a parent's or sibling's)."""
        await self._backend.call("delete_namespace", self.namespace, NAMESPACE_SEPARATOR)

    async def exists(self, key: str) -> bool:
        """Whether ``key`` is stored and not expired."""
        return await self.expires_in(key) is not None

    async def expires_in(self, key: str) -> int | None:
        """Whole seconds until ``key`` expires; ``-1`` when it never does; ``None`` when missing or expired."""
        now = _now()
        found = await self._backend.call("expiry", self.namespace, _key_digest(key), now)
        if found is None:
            return None
        forever, expires_at = found
        return -1 if forever else int(expires_at - now)

    async def delete_expired(self) -> int:
        """Delete the expired values of the whole table (every namespace); return how many."""
        return await self._backend.call("delete_expired", _now())  # type: ignore[no-any-return]

    async def create_table(self) -> None:
        """Create the table and its expiry index if they do not exist."""
        await self._backend.create_table()

    async def drop_table(self) -> None:
        """Drop the table if it exists."""
        await self._backend.drop_table()


class SQLSpecStore(BaseSQLSpecStore):
    """The SQL store (``BaseSQLSpecStore`` is the same class under sqlspec's documented name)."""

    __slots__ = ()


# Drop-in names: sqlspec's per-adapter stores (the ``__all__`` of each ``sqlspec.adapters.<adapter>.litestar``) and
# this package's earlier spellings of two of them (AdbcStore, SqliteStore). One implementation serves them all; whether
# a config works depends on its dialect, not on the name used.
ADBCStore = SQLSpecStore
AdbcStore = SQLSpecStore
AiomysqlStore = SQLSpecStore
AiosqliteStore = SQLSpecStore
ArrowOdbcStore = SQLSpecStore
AsyncmyStore = SQLSpecStore
AsyncpgStore = SQLSpecStore
BigQueryStore = SQLSpecStore
CockroachAsyncpgStore = SQLSpecStore
CockroachPsycopgAsyncStore = SQLSpecStore
CockroachPsycopgSyncStore = SQLSpecStore
Db2AsyncStore = SQLSpecStore
Db2SyncStore = SQLSpecStore
DuckdbStore = SQLSpecStore
MssqlPythonStore = SQLSpecStore
MysqlConnectorAsyncStore = SQLSpecStore
MysqlConnectorSyncStore = SQLSpecStore
OracleAsyncStore = SQLSpecStore
OracleSyncStore = SQLSpecStore
PsqlpyStore = SQLSpecStore
PsycopgAsyncStore = SQLSpecStore
PsycopgSyncStore = SQLSpecStore
PyMysqlStore = SQLSpecStore
PymssqlStore = SQLSpecStore
SQLiteStore = SQLSpecStore
SpannerAsyncStore = SQLSpecStore
SpannerSyncStore = SQLSpecStore
SqliteStore = SQLSpecStore
