"""Litestar integration for SQLSpec.

One plugin owns the app's database pools and gives handlers request-scoped connections and driver sessions whose
transactions end correctly, for async and sync, pooled and unpooled sqlspec configs.
"""

from sqlspec.service import SQLSpecAsyncService, SQLSpecSyncService

from litestar_sqlspec.channels import SQLSpecChannelsBackend
from litestar_sqlspec.cli import database_group
from litestar_sqlspec.correlation import CORRELATION_STATE_KEY, DEFAULT_CORRELATION_HEADERS, CorrelationMiddleware
from litestar_sqlspec.ddl_options import OracleLitestarCompressionConfig, OracleLitestarPartitionConfig
from litestar_sqlspec.errors import integrity_error_handler, not_found_error_handler
from litestar_sqlspec.middleware import TransactionMiddleware
from litestar_sqlspec.on_demand import SyncCallOnEventLoopWarning
from litestar_sqlspec.plugin import DEFAULT_LOADER_KEY, PLUGIN_STATE_KEY, SQLSPEC_STATE_KEY, SQLSpecPlugin
from litestar_sqlspec.providers import FilterConfig, create_filter_dependencies
from litestar_sqlspec.scope_state import delete_sqlspec_scope_state, get_sqlspec_scope_state, set_sqlspec_scope_state
from litestar_sqlspec.services import create_service_provider
from litestar_sqlspec.settings import (
    DEFAULT_COMMIT_MODE,
    DEFAULT_CONNECTION_KEY,
    DEFAULT_POOL_KEY,
    DEFAULT_SESSION_KEY,
    CommitMode,
    LitestarConfig,
)
from litestar_sqlspec.store import (
    ADBCStore,
    AdbcStore,
    AiomysqlStore,
    AiosqliteStore,
    ArrowOdbcStore,
    AsyncmyStore,
    AsyncpgStore,
    BaseSQLSpecStore,
    BigQueryStore,
    CockroachAsyncpgStore,
    CockroachPsycopgAsyncStore,
    CockroachPsycopgSyncStore,
    Db2AsyncStore,
    Db2SyncStore,
    DuckdbStore,
    MssqlPythonStore,
    MysqlConnectorAsyncStore,
    MysqlConnectorSyncStore,
    OracleAsyncStore,
    OracleSyncStore,
    PsqlpyStore,
    PsycopgAsyncStore,
    PsycopgSyncStore,
    PymssqlStore,
    PyMysqlStore,
    SpannerAsyncStore,
    SpannerSyncStore,
    SQLiteStore,
    SqliteStore,
    SQLSpecStore,
)

TRACE_CONTEXT_FALLBACK_HEADERS = DEFAULT_CORRELATION_HEADERS
"""The correlation headers read by default, in order (sqlspec's extension's name for them)."""

# sqlspec's per-adapter TypedDicts of extension_config["litestar"] (each sqlspec.adapters.<adapter>.litestar): each
# adds its adapter's DDL options to the common keys. LitestarConfig has every one of those keys, with the same types.
AiomysqlLitestarConfig = LitestarConfig
AiosqliteLitestarConfig = LitestarConfig
AsyncmyLitestarConfig = LitestarConfig
AsyncpgLitestarConfig = LitestarConfig
BigQueryLitestarConfig = LitestarConfig
CockroachAsyncpgLitestarConfig = LitestarConfig
CockroachPsycopgLitestarConfig = LitestarConfig
Db2LitestarConfig = LitestarConfig
MysqlConnectorLitestarConfig = LitestarConfig
OracleLitestarConfig = LitestarConfig
PsqlpyLitestarConfig = LitestarConfig
PsycopgLitestarConfig = LitestarConfig
PyMysqlLitestarConfig = LitestarConfig
SpannerLitestarConfig = LitestarConfig
SqliteLitestarConfig = LitestarConfig

__all__ = (
    "CORRELATION_STATE_KEY",
    "DEFAULT_COMMIT_MODE",
    "DEFAULT_CONNECTION_KEY",
    "DEFAULT_LOADER_KEY",
    "DEFAULT_POOL_KEY",
    "DEFAULT_SESSION_KEY",
    "PLUGIN_STATE_KEY",
    "SQLSPEC_STATE_KEY",
    "TRACE_CONTEXT_FALLBACK_HEADERS",
    "ADBCStore",
    "AdbcStore",
    "AiomysqlLitestarConfig",
    "AiomysqlStore",
    "AiosqliteLitestarConfig",
    "AiosqliteStore",
    "ArrowOdbcStore",
    "AsyncmyLitestarConfig",
    "AsyncmyStore",
    "AsyncpgLitestarConfig",
    "AsyncpgStore",
    "BaseSQLSpecStore",
    "BigQueryLitestarConfig",
    "BigQueryStore",
    "CockroachAsyncpgLitestarConfig",
    "CockroachAsyncpgStore",
    "CockroachPsycopgAsyncStore",
    "CockroachPsycopgLitestarConfig",
    "CockroachPsycopgSyncStore",
    "CommitMode",
    "CorrelationMiddleware",
    "Db2AsyncStore",
    "Db2LitestarConfig",
    "Db2SyncStore",
    "DuckdbStore",
    "FilterConfig",
    "LitestarConfig",
    "MssqlPythonStore",
    "MysqlConnectorAsyncStore",
    "MysqlConnectorLitestarConfig",
    "MysqlConnectorSyncStore",
    "OracleAsyncStore",
    "OracleLitestarCompressionConfig",
    "OracleLitestarConfig",
    "OracleLitestarPartitionConfig",
    "OracleSyncStore",
    "PsqlpyLitestarConfig",
    "PsqlpyStore",
    "PsycopgAsyncStore",
    "PsycopgLitestarConfig",
    "PsycopgSyncStore",
    "PyMysqlLitestarConfig",
    "PyMysqlStore",
    "PymssqlStore",
    "SQLSpecAsyncService",
    "SQLSpecChannelsBackend",
    "SQLSpecPlugin",
    "SQLSpecStore",
    "SQLSpecSyncService",
    "SQLiteStore",
    "SpannerAsyncStore",
    "SpannerLitestarConfig",
    "SpannerSyncStore",
    "SqliteLitestarConfig",
    "SqliteStore",
    "SyncCallOnEventLoopWarning",
    "TransactionMiddleware",
    "create_filter_dependencies",
    "create_service_provider",
    "database_group",
    "delete_sqlspec_scope_state",
    "get_sqlspec_scope_state",
    "integrity_error_handler",
    "not_found_error_handler",
    "set_sqlspec_scope_state",
)
