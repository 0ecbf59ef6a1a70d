"""Dependency providers of ``sqlspec`` services bound to the request's session."""

import inspect
from typing import Any, TypeVar

from litestar.constants import RESERVED_KWARGS
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from sqlspec.driver import AsyncDriverAdapterBase, SyncDriverAdapterBase
from sqlspec.exceptions import ImproperConfigurationError
from sqlspec.service import SQLSpecAsyncService, SQLSpecSyncService

from litestar_sqlspec.settings import DEFAULT_SESSION_KEY, is_identifier
from litestar_sqlspec.signatures import with_signature

__all__ = ("create_service_provider",)

ServiceT = TypeVar("ServiceT", bound="SQLSpecAsyncService[Any] | SQLSpecSyncService[Any]")

_SESSION_ANNOTATION: Any = NamedDependency[Any]  # type: ignore[misc] # an annotation used as a runtime value


def _check_key(name: str, value: object) -> str:
    if not is_identifier(value):
        msg = f"create_service_provider: {name}={value!r} is not a valid Python identifier"
        raise ImproperConfigurationError(msg)
    return value


def create_service_provider(
    service_type: type[ServiceT], *, session_key: str = DEFAULT_SESSION_KEY, loader_key: str = "sql_loader"
) -> Provide:
    """Build a dependency provider of ``service_type`` bound to the request's session.

    The service is constructed per request as ``service_type(session, loader=loader)``: ``session`` is the
    request's ``session_key`` dependency (the plugin's request-scoped driver session, the same object a handler
    receives when it asks for ``session_key`` too), ``loader`` is the ``SQLFileLoader`` given to ``SQLSpecPlugin``
    (``app.state[loader_key]``), or ``None`` when the plugin has none.

    Example:
        ```python
        class UserService(SQLSpecAsyncService):
            async def count(self) -> int:
                return await self.session.select_value("SELECT count(*) FROM users")


        @get("/users/count", dependencies={"users": create_service_provider(UserService)})
        async def count_users(users: NamedDependency[UserService]) -> int:
            return await users.count()
        ```

    Args:
        service_type: a subclass of ``SQLSpecAsyncService`` (for an async config's session) or of
            ``SQLSpecSyncService`` (for a sync config's session, used from sync handlers).
        session_key: dependency key of the session the service is bound to (the config's
            ``extension_config["litestar"]["session_key"]``).
        loader_key: ``app.state`` key of the SQL file loader.

    Returns:
        A ``Provide`` to register under the key handlers ask for the service by.

    Raises:
        ImproperConfigurationError: ``service_type`` is not a service class, or a key is not a valid identifier (or
            ``session_key`` is a name Litestar reserves). A service whose flavour does not match the session's
            config fails when a request resolves it.
    """
    candidate: object = service_type  # checked at runtime: callers need not be type-checked
    if not isinstance(candidate, type) or not issubclass(candidate, (SQLSpecAsyncService, SQLSpecSyncService)):
        msg = (
            f"create_service_provider: {service_type!r} is not a service class; pass a subclass of "
            "sqlspec.service.SQLSpecAsyncService or sqlspec.service.SQLSpecSyncService"
        )
        raise ImproperConfigurationError(msg)
    _check_key("session_key", session_key)
    _check_key("loader_key", loader_key)
    if session_key in RESERVED_KWARGS:
        reserved = ", ".join(sorted(RESERVED_KWARGS))
        msg = f"create_service_provider: session_key={session_key!r} is reserved by Litestar ({reserved})"
        raise ImproperConfigurationError(msg)

    is_async = issubclass(service_type, SQLSpecAsyncService)
    driver_base = AsyncDriverAdapterBase if is_async else SyncDriverAdapterBase

    def provide_service(state: State, **dependencies: Any) -> ServiceT:
        session = dependencies[session_key]
        if not isinstance(session, driver_base):
            flavour, wanted = ("an async", "SQLSpecSyncService") if is_async else ("a sync", "SQLSpecAsyncService")
            msg = (
                f"{service_type.__name__} is {flavour} service but the {session_key!r} dependency is of "
                f"type {type(session).__name__}; bind it to a session of {flavour} config or derive it from {wanted}"
            )
            raise ImproperConfigurationError(msg)
        return service_type(session, loader=state.get(loader_key))

    # Litestar resolves a provider's dependencies by parameter name: expose the session under ``session_key``.
    parameters = [
        inspect.Parameter("state", inspect.Parameter.KEYWORD_ONLY, annotation=State),
        inspect.Parameter(session_key, inspect.Parameter.KEYWORD_ONLY, annotation=_SESSION_ANNOTATION),
    ]
    provider = with_signature(provide_service, f"provide_{service_type.__name__}", parameters, service_type)
    return Provide(provider, sync_to_thread=False)
