"""Litestar integration for SQLSpec.

One plugin owns the app's database pools and gives handlers request-scoped connections and driver sessions whose
transactions end correctly, for async and sync, pooled and unpooled sqlspec configs.
"""

from litestar_sqlspec.channels import SQLSpecChannelsBackend
from litestar_sqlspec.cli import database_group
from litestar_sqlspec.middleware import TransactionMiddleware
from litestar_sqlspec.plugin import DEFAULT_LOADER_KEY, PLUGIN_STATE_KEY, SQLSPEC_STATE_KEY, SQLSpecPlugin
from litestar_sqlspec.settings import (
    DEFAULT_COMMIT_MODE,
    DEFAULT_CONNECTION_KEY,
    DEFAULT_POOL_KEY,
    DEFAULT_SESSION_KEY,
    CommitMode,
    LitestarConfig,
)
from litestar_sqlspec.store import (
    AdbcStore,
    AiosqliteStore,
    BaseSQLSpecStore,
    OracleAsyncStore,
    OracleSyncStore,
    PsycopgAsyncStore,
    PsycopgSyncStore,
    SqliteStore,
    SQLSpecStore,
)

__all__ = (
    "DEFAULT_COMMIT_MODE",
    "DEFAULT_CONNECTION_KEY",
    "DEFAULT_LOADER_KEY",
    "DEFAULT_POOL_KEY",
    "DEFAULT_SESSION_KEY",
    "PLUGIN_STATE_KEY",
    "SQLSPEC_STATE_KEY",
    "AdbcStore",
    "AiosqliteStore",
    "BaseSQLSpecStore",
    "CommitMode",
    "LitestarConfig",
    "OracleAsyncStore",
    "OracleSyncStore",
    "PsycopgAsyncStore",
    "PsycopgSyncStore",
    "SQLSpecChannelsBackend",
    "SQLSpecPlugin",
    "SQLSpecStore",
    "SqliteStore",
    "TransactionMiddleware",
    "database_group",
)
