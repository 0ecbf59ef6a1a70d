"""Functions whose parameters are made at run time.

Litestar binds a provider's dependencies and query parameters by the names and annotations of its signature.
"""

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ("with_signature",)


def with_signature(
    function: Callable[..., Any], name: str, parameters: list[inspect.Parameter], returns: Any
) -> Callable[..., Any]:
    """Give ``function`` (which takes ``**kwargs``) the name, signature and annotations Litestar will read."""
    function.__name__ = function.__qualname__ = name
    function.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    function.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters} | {"return": returns}
    return function
