"""Values the plugin keeps for one request, under the names sqlspec's Litestar extension uses.

``get_sqlspec_scope_state(scope, "db_connection")`` (or the session key) returns the request's connection (driver
session) once a handler, dependency or guard has checked it out; the correlation id is under
``"sqlspec_correlation_id"``. Anything else is a value set with ``set_sqlspec_scope_state`` for the same request.
"""

from typing import Any

from litestar.types import Scope

from litestar_sqlspec._runtime import LEASES_KEY, Slot
from litestar_sqlspec.correlation import CORRELATION_STATE_KEY

__all__ = ("delete_sqlspec_scope_state", "get_sqlspec_scope_state", "set_sqlspec_scope_state")

_NAMESPACE = "_sqlspec"


def _namespace(scope: Scope) -> dict[str, Any]:
    namespace: dict[str, Any] = scope.setdefault(_NAMESPACE, {})  # type: ignore[misc]
    return namespace


def _checked_out(scope: Scope, key: str) -> Any:
    slots: dict[str, Slot] = scope.get("state", {}).get(LEASES_KEY) or {}
    for slot in slots.values():
        if slot.lease is None:
            continue
        settings = slot.runtime.settings
        if key == settings.connection_key:
            return slot.lease.connection
        if key == settings.session_key:
            return slot.lease.driver()
    return None


def get_sqlspec_scope_state(scope: Scope, key: str, default: Any = None, pop: bool = False) -> Any:
    """A value kept for the request of ``scope``.

    Args:
        scope: the request's ASGI scope.
        key: a value set with ``set_sqlspec_scope_state``, a config's connection or session dependency key (the
            request's connection or driver session, if checked out), or ``"sqlspec_correlation_id"``.
        default: returned when nothing is kept under ``key``.
        pop: also forget a value set with ``set_sqlspec_scope_state``.

    Returns:
        The value, or ``default``.
    """
    namespace = _namespace(scope)
    if key in namespace:
        return namespace.pop(key) if pop else namespace[key]
    if key == CORRELATION_STATE_KEY:
        return scope.get("state", {}).get(CORRELATION_STATE_KEY, default)
    found = _checked_out(scope, key)
    return default if found is None else found


def set_sqlspec_scope_state(scope: Scope, key: str, value: Any) -> None:
    """Keep ``value`` under ``key`` for the request of ``scope``."""
    _namespace(scope)[key] = value


def delete_sqlspec_scope_state(scope: Scope, key: str) -> None:
    """Forget the value set under ``key`` for the request of ``scope`` (nothing happens when there is none)."""
    _namespace(scope).pop(key, None)
