"""``litestar database`` (alias ``db``): sqlspec's migration commands for the plugin's configs."""

from typing import TYPE_CHECKING, Any

import click
from litestar.cli._utils import LitestarGroup
from sqlspec.cli import add_migration_commands
from sqlspec.exceptions import ImproperConfigurationError

if TYPE_CHECKING:
    from litestar import Litestar

    from litestar_sqlspec.plugin import SQLSpecPlugin

__all__ = ("database_group", "get_database_migration_plugin")


def get_database_migration_plugin(app: "Litestar") -> "SQLSpecPlugin":
    """Return the app's ``SQLSpecPlugin``.

    Raises:
        ImproperConfigurationError: when the app has no ``SQLSpecPlugin``.
    """
    from litestar_sqlspec.plugin import SQLSpecPlugin  # noqa: PLC0415 - avoids an import cycle

    for plugin in app.plugins:
        if isinstance(plugin, SQLSpecPlugin):
            return plugin
    msg = "The app has no litestar_sqlspec.SQLSpecPlugin: add SQLSpecPlugin(sqlspec) to Litestar(plugins=[...])."
    raise ImproperConfigurationError(msg)


@click.group(cls=LitestarGroup, name="database")
@click.pass_context
def database_group(ctx: click.Context) -> None:
    """Manage SQLSpec database migrations."""
    env: Any = ctx.obj
    ctx.obj = {"app": env, "configs": get_database_migration_plugin(env.app).config}


add_migration_commands(database_group)
