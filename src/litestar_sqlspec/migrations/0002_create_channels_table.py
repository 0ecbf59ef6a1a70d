"""Create the channels backend's table (``SQLSpecChannelsBackend``) when ``channels_table`` is set."""

from typing import Any

from litestar_sqlspec.schema import channels_table_ddl

__all__ = ("down", "up")


def up(context: Any = None) -> list[str]:
    """The channels table's CREATE statements (none unless ``channels_table`` is set)."""
    return channels_table_ddl(context.config)[0]


def down(context: Any = None) -> list[str]:
    """The channels table's DROP statement."""
    return channels_table_ddl(context.config)[1]
