"""``SQLSpecPlugin``: pools, request-scoped connections and sessions, and CLI for every config of a ``SQLSpec``."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from click import Group
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.plugins import CLIPlugin, InitPluginProtocol
from litestar.stores.registry import StoreRegistry
from litestar.types import Scope
from sqlspec.base import SQLSpec
from sqlspec.exceptions import ImproperConfigurationError
from sqlspec.loader import SQLFileLoader

from litestar_sqlspec._runtime import ConfigRuntime, build_runtimes, mark_request_failed
from litestar_sqlspec.correlation import DEFAULT_CORRELATION_HEADER, add_correlation
from litestar_sqlspec.errors import register_exception_handlers
from litestar_sqlspec.middleware import FinishAtResponseStart, TransactionMiddleware
from litestar_sqlspec.numpy_codecs import register_numpy
from litestar_sqlspec.on_demand import sync_lease
from litestar_sqlspec.schema import MIGRATIONS_PATH
from litestar_sqlspec.settings import ConfigSettings
from litestar_sqlspec.store import SQLSpecStore

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.datastructures import State

__all__ = ("DEFAULT_LOADER_KEY", "PLUGIN_STATE_KEY", "SQLSPEC_STATE_KEY", "SQLSpecPlugin")

logger = logging.getLogger("litestar_sqlspec")

SQLSPEC_STATE_KEY = "sqlspec"
"""``app.state`` key of the ``SQLSpec`` instance."""
PLUGIN_STATE_KEY = "sqlspec_plugin"
"""``app.state`` key of the plugin."""
DEFAULT_LOADER_KEY = "sql_loader"
"""Dependency key (and ``app.state`` key) of the ``SQLFileLoader`` given to the plugin."""


async def _delete_expired_every(store: SQLSpecStore, settings: ConfigSettings) -> None:
    """Delete the store's expired rows every ``cleanup_interval`` seconds, for as long as the app runs."""
    interval = settings.cleanup_interval or 0.0
    while True:
        await anyio.sleep(interval)
        try:
            deleted = await store.delete_expired()
        except Exception:
            logger.warning("%s: deleting expired store rows failed", settings.label, exc_info=True)
        else:
            logger.debug("%s: deleted %d expired store rows", settings.label, deleted)


class SQLSpecPlugin(InitPluginProtocol, CLIPlugin):
    """Litestar plugin for every database config registered on a ``SQLSpec``.

    Per config (``extension_config["litestar"]`` tunes it, see ``LitestarConfig``): the pool is created at startup
    and closed at shutdown; handlers receive ``db_session``, ``db_connection`` and ``db_pool``; the request's
    connection is checked out lazily, once, shared by every dependency, guard and ``provide_request_*`` call of the
    request, and its transaction is ended by the commit mode when the response starts. Sync configs run every
    blocking call in a worker thread.

    Args:
        sqlspec: the ``SQLSpec`` whose configs the plugin serves.
        loader: SQL file loader exposed to handlers as the ``sql_loader`` dependency and at ``app.state.sql_loader``.
    """

    __slots__ = ("_config_count", "_loader", "_runtimes", "_sqlspec", "_warned_on_loop")

    def __init__(self, sqlspec: SQLSpec, *, loader: SQLFileLoader | None = None) -> None:
        self._sqlspec = sqlspec
        self._loader = loader
        self._runtimes = _runtimes_of(sqlspec)
        self._config_count = len(sqlspec.configs)
        self._warned_on_loop: set[ConfigRuntime] = set()  # configs whose sync accessor already warned on the loop

    @property
    def config(self) -> list[Any]:
        """The database configs the plugin serves, in registration order."""
        return [runtime.config for runtime in self._runtimes]

    @property
    def sqlspec(self) -> SQLSpec:
        """The ``SQLSpec`` instance."""
        return self._sqlspec

    @property
    def loader(self) -> SQLFileLoader | None:
        """The SQL file loader given to the plugin, if any."""
        return self._loader

    def on_cli_init(self, cli: Group) -> None:
        """Register the ``database`` command group (alias ``db``) and ``sessions delete-expired``."""
        from litestar_sqlspec.cli import database_group, delete_expired_sessions_command  # noqa: PLC0415 - CLI only

        cli.add_command(database_group, "database")
        cli.add_command(database_group, "db")
        sessions = cli.commands.get("sessions")  # Litestar's own group: extended when the CLI starts, not at import
        if isinstance(sessions, Group) and "delete-expired" not in sessions.commands:
            sessions.add_command(delete_expired_sessions_command)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Register lifespan, dependencies, middleware, exception handlers, state and signature types on the app.

        ``NotFoundError`` and ``IntegrityError`` get handlers (404, 409) unless the app has its own; a
        ``CorrelationMiddleware`` is put first in the app's middleware unless every config opts out.
        """
        if len(self._sqlspec.configs) != self._config_count:  # configs added after the plugin was built
            self._runtimes = _runtimes_of(self._sqlspec)
            self._config_count = len(self._sqlspec.configs)

        app_config.state[SQLSPEC_STATE_KEY] = self._sqlspec
        app_config.state[PLUGIN_STATE_KEY] = self
        app_config.signature_namespace.update({"SQLSpec": SQLSpec, "SQLSpecPlugin": SQLSpecPlugin})
        for runtime in self._runtimes:
            config = runtime.config
            namespace = config.get_signature_namespace()
            for kind in (type(config), config.driver_type, config.connection_type):
                namespace.setdefault(kind.__name__, kind)
                if kind not in app_config.signature_types:
                    app_config.signature_types.append(kind)
            app_config.signature_namespace.update(namespace)

        if any(runtime.settings.manage_lifespan or runtime.settings.cleanup_interval for runtime in self._runtimes):
            app_config.lifespan.append(self._lifespan)

        dependencies = self._dependencies()
        if self._loader is not None:
            app_config.state[DEFAULT_LOADER_KEY] = self._loader
            dependencies[DEFAULT_LOADER_KEY] = Provide(self._provide_loader, use_cache=True)
        for key, provider in dependencies.items():
            if key in app_config.dependencies:
                msg = f"SQLSpecPlugin: the app already has a dependency named {key!r}; rename the plugin's key"
                raise ImproperConfigurationError(msg)
            app_config.dependencies[key] = provider
        self._register_default_store(app_config)
        managed = [runtime for runtime in self._runtimes if not runtime.settings.disable_di]
        if managed:
            app_config.after_exception.append(mark_request_failed)
            capture = any(not runtime.is_async for runtime in managed)
            app_config.middleware.insert(0, DefineMiddleware(TransactionMiddleware, capture_loop=capture))
            # Innermost too: the transaction ends before the app's other middleware act on the response (a session
            # middleware writing to a SQLite store would otherwise wait on the request's own write lock).
            app_config.middleware.append(FinishAtResponseStart)
        register_exception_handlers(app_config)
        register_numpy(app_config)
        self._add_correlation(app_config)  # after the transaction middleware: correlation ids are outermost
        return app_config

    def _add_correlation(self, app_config: AppConfig) -> None:
        enabled = [runtime.settings for runtime in self._runtimes if runtime.settings.enable_correlation_middleware]
        headers = tuple(dict.fromkeys(header for settings in enabled for header in settings.correlation_headers))
        response_header = enabled[0].correlation_header if enabled else DEFAULT_CORRELATION_HEADER
        add_correlation(app_config, headers, response_header=response_header)

    def _register_default_store(self, app_config: AppConfig) -> None:
        claims = [runtime for runtime in self._runtimes if runtime.settings.default_store]
        if not claims:
            return
        if len(claims) > 1:
            labels = ", ".join(runtime.settings.label for runtime in claims)
            msg = f'extension_config["litestar"]["default_store"] is set on several configs ({labels}); keep one'
            raise ImproperConfigurationError(msg)
        if isinstance(app_config.stores, StoreRegistry):
            msg = (
                f'{claims[0].settings.label}: extension_config["litestar"]["default_store"] cannot be applied: the app '
                "already has a StoreRegistry; pass default_factory=SQLSpecStore(config).with_namespace to it instead"
            )
            raise ImproperConfigurationError(msg)
        store = SQLSpecStore(claims[0].config)
        app_config.stores = StoreRegistry(stores=dict(app_config.stores or {}), default_factory=store.with_namespace)

    def _dependencies(self) -> dict[str, Provide]:
        dependencies: dict[str, Provide] = {}
        for runtime in self._runtimes:
            settings = runtime.settings
            if settings.disable_di:
                continue
            dependencies[settings.session_key] = Provide(runtime.provide_session)
            dependencies[settings.connection_key] = Provide(runtime.provide_connection)
            if runtime.has_pool:
                dependencies[settings.pool_key] = Provide(runtime.provide_pool)
        return dependencies

    async def _provide_loader(self) -> SQLFileLoader | None:
        return self._loader

    @asynccontextmanager
    async def _lifespan(self, app: "Litestar") -> AsyncIterator[None]:
        async with self._pools(app), anyio.create_task_group() as cleaners:
            for runtime in self._runtimes:
                if runtime.settings.cleanup_interval is not None:
                    cleaners.start_soon(_delete_expired_every, SQLSpecStore(runtime.config), runtime.settings)
            yield
            cleaners.cancel_scope.cancel()

    @asynccontextmanager
    async def _pools(self, app: "Litestar") -> AsyncIterator[None]:
        started: list[ConfigRuntime] = []
        try:
            for runtime in self._runtimes:
                if not runtime.settings.manage_lifespan:
                    continue
                try:
                    await runtime.startup(app.state)
                except Exception as exc:
                    msg = f"{runtime.settings.label}: could not connect at startup: {exc}"
                    raise ImproperConfigurationError(msg) from exc
                started.append(runtime)
            yield
        finally:
            for runtime in reversed(started):
                try:
                    await runtime.shutdown(app.state)
                except Exception:
                    logger.warning("%s: closing the connection pool failed", runtime.settings.label, exc_info=True)

    # lookups

    def _runtime_for(self, key: Any) -> ConfigRuntime:
        """Resolve a config instance, a config type (when unique), a bind key or a dependency key."""
        runtimes = self._runtimes
        if isinstance(key, type):
            matches = [runtime for runtime in runtimes if type(runtime.config) is key]
            if len(matches) == 1:
                return matches[0]
            if matches:
                keys = ", ".join(repr(runtime.config.bind_key) for runtime in matches)
                msg = f"{len(matches)} configs are of type {key.__name__}; use a bind key to pick one: {keys}"
                raise KeyError(msg)
        elif isinstance(key, str):
            for runtime in runtimes:
                if runtime.config.bind_key == key:
                    return runtime
            # configs that registered their keys come first: a disable_di config registers none
            for runtime in sorted(runtimes, key=lambda each: each.settings.disable_di):
                if key in runtime.settings.dependency_keys:
                    return runtime
        else:
            for runtime in runtimes:
                if runtime.config is key:
                    return runtime
        known = ", ".join(
            f"{runtime.settings.label} [{', '.join(runtime.settings.dependency_keys)}]" for runtime in runtimes
        )
        msg = f"no database config matches {key!r}; known configs: {known}"
        raise KeyError(msg)

    def get_config(self, name: Any) -> Any:
        """Return the config for a config instance, config type (when unique), bind key or dependency key."""
        return self._runtime_for(name).config

    def get_annotation(self, key: Any) -> type[Any]:
        """Return the type of the config selected by ``key``."""
        return type(self._runtime_for(key).config)

    def get_annotations(self) -> list[type[Any]]:
        """Return the types of every config, in registration order."""
        return [type(runtime.config) for runtime in self._runtimes]

    # on-demand access to the request's connection

    def _checked_runtime(self, key: Any) -> ConfigRuntime:
        runtime = self._runtime_for(key)
        if runtime.settings.disable_di:
            msg = f"{runtime.settings.label}: disable_di is set, so the plugin manages no request connection for it"
            raise ImproperConfigurationError(msg)
        return runtime

    async def provide_request_connection_async(self, key: Any, state: "State", scope: Scope) -> Any:
        """The request's connection for ``key`` (checked out now if needed; a sync config's in a worker thread)."""
        return (await self._checked_runtime(key).lease(scope)).connection

    async def provide_request_session_async(self, key: Any, state: "State", scope: Scope) -> Any:
        """The request's driver session for ``key`` (checked out now if needed)."""
        return (await self._checked_runtime(key).lease(scope)).driver()

    def _sync_lease(self, key: Any, scope: Scope) -> Any:
        return sync_lease(self._checked_runtime(key), scope, self._warned_on_loop)

    def provide_request_connection_sync(self, key: Any, state: "State", scope: Scope) -> Any:
        """The request's connection for a sync config, checked out now if needed.

        Meant for sync code in a worker thread (sync guards and handlers). Called on the event loop it checks the
        connection out there, blocking the loop, and warns once per config (``SyncCallOnEventLoopWarning``).
        """
        return self._sync_lease(key, scope).connection

    def provide_request_session_sync(self, key: Any, state: "State", scope: Scope) -> Any:
        """The request's driver session for a sync config, checked out now if needed.

        As ``provide_request_connection_sync``: on the event loop the checkout blocks it, with a one-time warning.
        """
        return self._sync_lease(key, scope).driver()

    def provide_request_connection(self, key: Any, state: "State", scope: Scope) -> Any:
        """The request's connection: the one already checked out, or (sync configs) a new one, as ``_sync``."""
        return self._sync_lease(key, scope).connection

    def provide_request_session(self, key: Any, state: "State", scope: Scope) -> Any:
        """The request's driver session: the one already checked out, or (sync configs) a new one, as ``_sync``."""
        return self._sync_lease(key, scope).driver()


def _runtimes_of(sqlspec: SQLSpec) -> list[ConfigRuntime]:
    runtimes = build_runtimes(list(sqlspec.configs.values()))
    for runtime in runtimes:
        _use_this_packages_migrations(runtime.config)
    return runtimes


def _use_this_packages_migrations(config: Any) -> None:
    # sqlspec resolves an extension's migrations from extension_config[<name>]["migrations_path"], else from its own
    # sqlspec.extensions.<name> package, whose Litestar migrations build the wrong tables for this package.
    extension_config = config.extension_config
    if isinstance(extension_config, dict):
        litestar = extension_config.setdefault("litestar", {})
        if isinstance(litestar, dict):
            litestar.setdefault("migrations_path", MIGRATIONS_PATH)
