"""``litestar database`` (alias ``db``): sqlspec's migration commands for the plugin's configs, made strict.

sqlspec's commands are reused as they are, each wrapped so that:

- a command that acts on one config picks it unambiguously: with several configs and no ``--bind-key``, the only
  config with migrations enabled is used, and if there is not exactly one, the command refuses, listing the bind keys
  (sqlspec would silently take the first config);
- a failure exits non-zero with its reason: sqlspec prints a failed migration and returns, and lets other errors out
  as tracebacks.
"""

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import anyio
import click
from litestar.cli._utils import LitestarGroup
from sqlspec.cli import add_migration_commands
from sqlspec.exceptions import ImproperConfigurationError

from litestar_sqlspec.channels import DEFAULT_HISTORY, DEFAULT_RETENTION_SECONDS

if TYPE_CHECKING:
    from litestar import Litestar

    from litestar_sqlspec.plugin import SQLSpecPlugin

__all__ = ("channels_group", "database_group", "delete_expired_sessions_command", "get_database_migration_plugin")

logger = logging.getLogger("litestar_sqlspec.cli")

# Commands that act on every config (or on each selected one) by themselves.
_ALL_CONFIG_COMMANDS = frozenset({"init", "show-config"})


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
def database_group(ctx: click.Context, app: "Litestar") -> None:
    """Manage SQLSpec database migrations."""
    # LitestarGroup passes ``ctx`` and ``app`` by name, having replaced ctx.obj by the LitestarEnv.
    try:
        configs = get_database_migration_plugin(app).config
    except ImproperConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc
    ctx.obj = {"app": ctx.obj, "configs": list(configs)}


def _migrations_enabled(config: Any) -> bool:
    migration_config = config.migration_config or {}
    return bool(migration_config) and bool(migration_config.get("enabled", True))


def _pick_single_config(ctx: click.Context, command: str, params: dict[str, Any]) -> None:
    """Put the one config a single-config command should act on first (sqlspec takes the first), or refuse."""
    configs: list[Any] = ctx.obj["configs"]
    if command in _ALL_CONFIG_COMMANDS or len(configs) < 2 or params.get("bind_key") is not None:
        return
    if params.get("include") or params.get("exclude"):
        return
    enabled = [config for config in configs if _migrations_enabled(config)]
    if "include" in params and len(enabled) > 1:
        return  # sqlspec runs the command for each config with migrations enabled
    if len(enabled) == 1:
        configs.remove(enabled[0])
        configs.insert(0, enabled[0])
        return
    keys = ", ".join(repr(config.bind_key) for config in configs)
    msg = (
        f"the app has {len(configs)} database configs and `{command}` acts on one: choose it with --bind-key "
        f"(bind keys: {keys})"
    )
    raise click.UsageError(msg, ctx)


class _ClosingCommands:
    """sqlspec's migration commands for an async config, closing the config's pool in the command's own event loop.

    sqlspec runs each async command in an event loop of its own and leaves the pool it opened there; a psycopg pool
    whose tasks are still connecting can then hang that loop's shutdown.
    """

    def __init__(self, commands: Any, config: Any) -> None:
        self._commands = commands
        self._config = config

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._commands, name)
        if not inspect.iscoroutinefunction(found):
            return found

        async def closing(*args: Any, **kwargs: Any) -> Any:
            try:
                return await found(*args, **kwargs)
            finally:
                if self._config.connection_instance is not None:
                    await self._config.close_pool()

        return closing


@contextmanager
def _printed_failures() -> Iterator[list[str]]:
    """Collect the failures sqlspec's migration commands print instead of raising (and close async pools in time)."""
    import sqlspec.migrations.commands as migration_commands  # noqa: PLC0415 - only the CLI needs it

    original_output = migration_commands._output_error
    original_factory = migration_commands.create_migration_commands
    failures: list[str] = []

    def output_error(use_logger: bool, echo: bool, summary_only: bool, message: str, *args: Any, **kwargs: Any) -> None:
        failures.append(message % args if args else message)
        original_output(use_logger, echo, summary_only, message, *args, **kwargs)

    def create_migration_commands(config: Any) -> Any:
        commands: Any = original_factory(config)
        return _ClosingCommands(commands, config) if config.is_async else commands

    migration_commands._output_error = output_error
    migration_commands.create_migration_commands = create_migration_commands
    try:
        yield failures
    finally:
        migration_commands._output_error = original_output
        migration_commands.create_migration_commands = original_factory


def _close_pools(configs: list[Any]) -> None:
    # sqlspec's commands open pools (in event loops of their own) and leave them open.
    for config in configs:
        if config.connection_instance is None:
            continue
        try:
            if config.is_async:
                anyio.run(config.close_pool)
            else:
                config.close_pool()
        except Exception:
            logger.debug("closing %r after a database command failed", config, exc_info=True)


def _strict(command: click.Command) -> None:
    callback = command.callback
    if callback is None:
        return
    name = command.name or ""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        _pick_single_config(ctx, name, kwargs)
        with _printed_failures() as failures:
            try:
                result = callback(*args, **kwargs)
            except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
                raise
            except Exception as exc:
                raise click.ClickException(f"{name} failed: {type(exc).__name__}: {exc}") from exc
            finally:
                _close_pools(ctx.obj["configs"])
        if failures:
            raise click.ClickException(f"{name} failed: " + "; ".join(failures))
        return result

    command.callback = run


def _add_commands(group: click.Group, add: Callable[[click.Group], Any]) -> None:
    add(group)
    for command in group.commands.values():
        if not isinstance(command, click.Group):
            _strict(command)


_add_commands(database_group, add_migration_commands)
database_group.add_command(cast("Any", database_group.commands["create-migration"]), "make-migrations")


@database_group.group(name="channels", cls=LitestarGroup)
def channels_group() -> None:
    """Maintain the channels backend's table."""


@click.command(name="prune")
@click.option("--bind-key", default=None, help="The config whose channels table to prune (default: every config).")
@click.option(
    "--history",
    type=click.IntRange(min=0),
    default=DEFAULT_HISTORY,
    show_default=True,
    help="Messages to keep per channel whatever their age.",
)
@click.option(
    "--retention",
    type=click.FloatRange(min=0),
    default=DEFAULT_RETENTION_SECONDS,
    show_default=True,
    help="Seconds a message is kept for lagging subscribers.",
)
def prune_channels_command(ctx: click.Context, bind_key: str | None, history: int, retention: float) -> None:
    """Delete channel messages older than RETENTION beyond the newest HISTORY of their channel."""
    from litestar_sqlspec.channels import SQLSpecChannelsBackend  # noqa: PLC0415 - only this command needs it

    configs = [config for config in ctx.obj["configs"] if bind_key is None or config.bind_key == bind_key]
    if not configs:
        msg = f"no config has the bind key {bind_key!r}"
        raise click.ClickException(msg)
    try:
        for config in configs:
            backend = SQLSpecChannelsBackend(config, history=history, retention=retention)
            deleted = anyio.run(backend.prune)
            click.echo(f"{backend.table_name}: {deleted} message(s) deleted")
    except Exception as exc:
        raise click.ClickException(f"prune failed: {type(exc).__name__}: {exc}") from exc
    finally:
        _close_pools(configs)


channels_group.add_command(cast("Any", prune_channels_command))  # a click Command in a rich-click group


@click.command(name="delete-expired")
@click.option("--verbose", is_flag=True, default=False, help="Say which store and table were cleaned.")
def delete_expired_sessions_command(app: "Litestar", verbose: bool) -> None:
    """Delete the expired rows of the session store's table (SQLSpecStore)."""
    from litestar.cli.commands.sessions import get_session_backend  # noqa: PLC0415 - Litestar's CLI, loaded lazily

    from litestar_sqlspec.store import BaseSQLSpecStore  # noqa: PLC0415 - avoids an import cycle

    store = get_session_backend(app).config.get_store_from_app(app)
    if not isinstance(store, BaseSQLSpecStore):
        msg = f"the session store is a {type(store).__name__}; delete-expired works on litestar_sqlspec's SQLSpecStore"
        raise click.ClickException(msg)
    deleted = anyio.run(store.delete_expired)
    if verbose:
        click.echo(f"{store.table_name} ({type(store.config).__name__}): {deleted} expired row(s) deleted")
    else:
        click.echo(f"{deleted} expired session(s) deleted")
