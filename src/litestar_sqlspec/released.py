"""What a request's driver session holds once its connection went back to the pool."""

from typing import NoReturn

from sqlspec.exceptions import ImproperConfigurationError

__all__ = ("ReleasedConnection",)


class ReleasedConnection:
    """Stands in for a request's connection after it was released: every use fails, saying why.

    The connection is released when the response starts (or the websocket closes) and may already serve another
    request; a background task or a streamed body that kept the request's ``db_session`` would otherwise write into
    that other request's transaction.
    """

    __slots__ = ("_config_name",)

    def __init__(self, config_name: str) -> None:
        """Stand in for a connection of the config named ``config_name`` (as ``config_label`` names it)."""
        self._config_name = config_name

    def __getattr__(self, name: str) -> NoReturn:
        msg = (
            f"{self._config_name}: this request's connection was released when its response started; code that runs "
            "after that (a background task, a streamed response body) must open a session of its own, e.g. "
            "`async with config.provide_session() as session:`"
        )
        raise ImproperConfigurationError(msg)
