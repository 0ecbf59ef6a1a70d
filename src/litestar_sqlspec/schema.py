"""The DDL of this package's tables for a config, shared by ``create_table()`` and the extension migrations.

``include_extensions=["litestar"]`` makes ``litestar database upgrade`` run ``litestar_sqlspec/migrations``: the store
table unless ``session_table`` is ``False``, the channels table when ``channels_table`` is set (``True`` or a name).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from litestar_sqlspec._drivers import sql_dialect_of
from litestar_sqlspec.channel_dialects import channel_statements_for
from litestar_sqlspec.dialects import store_statements_for
from litestar_sqlspec.settings import configured_table

__all__ = ("MIGRATIONS_PATH", "channels_table_ddl", "create_table_racing", "store_table_ddl")

MIGRATIONS_PATH = "litestar_sqlspec:migrations"
"""sqlspec's ``extension_config["litestar"]["migrations_path"]`` for this package's extension migrations."""


def store_table_ddl(config: Any) -> tuple[list[str], list[str]]:
    """``(create, drop)`` statements of the config's store table (both empty when ``session_table`` is ``False``)."""
    from litestar_sqlspec.store import DEFAULT_SESSION_TABLE  # noqa: PLC0415 - the store imports this module's peers

    table = configured_table(config, "session_table", DEFAULT_SESSION_TABLE)
    if table is None:
        return [], []
    sql = store_statements_for(config, table, dialect=sql_dialect_of(config))
    return list(sql.create_table), [sql.drop_table]


def channels_table_ddl(config: Any) -> tuple[list[str], list[str]]:
    """``(create, drop)`` statements of the config's channels table (both empty unless ``channels_table`` is set)."""
    from litestar_sqlspec.channels import DEFAULT_CHANNELS_TABLE  # noqa: PLC0415 - avoids an import cycle

    table = configured_table(config, "channels_table", DEFAULT_CHANNELS_TABLE, when_unset=False)
    if table is None:
        return [], []
    sql = channel_statements_for(config, table, dialect=sql_dialect_of(config))
    return list(sql.create_table), list(sql.drop_table)


async def create_table_racing(run: Callable[..., Awaitable[Any]], ops: Any) -> None:
    """Create a table with ``ops.create_table``: a creation that lost a race with another one is no error.

    "IF NOT EXISTS" does not make concurrent creations safe (PostgreSQL fails on a unique violation in its catalog).
    """
    try:
        await run(ops.create_table)
    except Exception:
        if not await run(ops.table_exists):
            raise
