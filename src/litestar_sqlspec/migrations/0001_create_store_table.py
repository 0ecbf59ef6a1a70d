"""Create the SQL store's table (``SQLSpecStore``), with the same DDL as ``SQLSpecStore.create_table()``."""

from typing import Any

from litestar_sqlspec.schema import store_table_ddl

__all__ = ("down", "up")


def up(context: Any = None) -> list[str]:
    """The store table's CREATE statements (none when ``session_table`` is ``False``)."""
    return store_table_ddl(context.config)[0]


def down(context: Any = None) -> list[str]:
    """The store table's DROP statement."""
    return store_table_ddl(context.config)[1]
