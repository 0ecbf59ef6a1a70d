"""Build real Litestar apps around the plugin."""

from typing import Any

from litestar import Litestar
from sqlspec import SQLSpec

from litestar_sqlspec import SQLSpecPlugin

__all__ = ("make_app",)


def make_app(*configs: Any, route_handlers: list[Any], **kwargs: Any) -> tuple[Litestar, SQLSpecPlugin]:
    """A Litestar app serving ``route_handlers`` with a ``SQLSpecPlugin`` over ``configs``."""
    spec = SQLSpec()
    for config in configs:
        spec.add_config(config)
    plugin = SQLSpecPlugin(spec)
    return Litestar(route_handlers=route_handlers, plugins=[plugin], **kwargs), plugin
