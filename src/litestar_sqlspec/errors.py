"""HTTP responses for sqlspec's repository errors: ``NotFoundError`` → 404, ``IntegrityError`` → 409."""

from typing import Any

from litestar import Request, Response
from litestar.config.app import AppConfig
from litestar.exceptions import ClientException, HTTPException, NotFoundException
from litestar.exceptions.responses import create_exception_response
from litestar.status_codes import HTTP_409_CONFLICT
from litestar.types import ExceptionHandlersMap
from sqlspec.exceptions import IntegrityError, NotFoundError

__all__ = ("integrity_error_handler", "not_found_error_handler", "register_exception_handlers")


def _handlers_for(request: Request[Any, Any, Any]) -> ExceptionHandlersMap:
    route_handler: Any = request.scope.get("route_handler")
    if route_handler is not None:
        handlers: ExceptionHandlersMap = route_handler.resolve_exception_handlers()
        return handlers
    return request.app.exception_handlers


def _render(request: Request[Any, Any, Any], http_exc: HTTPException) -> Response[Any]:
    """Render ``http_exc`` as Litestar would: a handler for its status code, else for its class, else the default."""
    handlers = _handlers_for(request)
    handler = handlers.get(http_exc.status_code) or next(
        (handlers[cls] for cls in type(http_exc).__mro__ if cls in handlers), None
    )
    if handler is None:
        return create_exception_response(request, http_exc)
    return handler(request, http_exc)


def not_found_error_handler(request: Request[Any, Any, Any], exc: NotFoundError) -> Response[Any]:
    """Answer a sqlspec ``NotFoundError`` with a 404 whose detail is the error's message.

    The 404 is rendered by the app's handler for status 404 or for Litestar's ``NotFoundException`` (or one of its
    bases) when there is one, else by Litestar's default exception response.

    Args:
        request: the request whose handler raised ``exc``.
        exc: the error, e.g. from a driver's ``select_one`` on an empty result.

    Returns:
        The 404 response.
    """
    http_exc = NotFoundException(detail=str(exc) or "Not Found")
    http_exc.__cause__ = exc
    return _render(request, http_exc)


def integrity_error_handler(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    """Answer a sqlspec ``IntegrityError`` (unique, foreign key, check, not-null violation) with a 409 "Conflict".

    The detail is always ``"Conflict"``: the database's message, which can name tables, columns and values, is not
    sent to the client. The 409 is rendered by the app's handler for status 409 or for Litestar's ``ClientException``
    (or one of its bases) when there is one, else by Litestar's default exception response.

    Args:
        request: the request whose handler raised ``exc``.
        exc: the error raised by the driver.

    Returns:
        The 409 response.
    """
    http_exc = ClientException(status_code=HTTP_409_CONFLICT, detail="Conflict")
    http_exc.__cause__ = exc
    return _render(request, http_exc)


def register_exception_handlers(app_config: AppConfig) -> None:
    """Register ``not_found_error_handler`` and ``integrity_error_handler`` where the app has none for that class.

    A handler the app already has for ``NotFoundError`` or ``IntegrityError`` is kept. Handlers for a subclass
    (e.g. ``UniqueViolationError``), at any layer, still win, as Litestar picks the most specific one.

    Args:
        app_config: the app's config, being built.
    """
    handlers = app_config.exception_handlers or {}  # another plugin may have left None
    app_config.exception_handlers = handlers
    handlers.setdefault(NotFoundError, not_found_error_handler)
    handlers.setdefault(IntegrityError, integrity_error_handler)
