"""Async source of truth: the database operations beneath the plugin, authored once and generated into ``_sync``."""

from litestar_sqlspec._async.lease import AsyncConnectionLease
from litestar_sqlspec._async.lifecycle import close_pool_async, open_pool_async, replace_dead_connections_async

__all__ = ("AsyncConnectionLease", "close_pool_async", "open_pool_async", "replace_dead_connections_async")
