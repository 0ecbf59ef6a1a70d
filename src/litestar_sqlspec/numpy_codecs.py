"""Encode ``numpy`` arrays in responses and decode them from requests, when numpy is installed.

numpy is imported only when it is installed and the codecs are asked for: an app without numpy never imports it.
"""

import importlib.util
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from litestar.config.app import AppConfig

__all__ = ("numpy_codecs", "register_numpy")

TypeEncoders = dict[Any, Callable[[Any], Any]]
TypeDecoders = list[tuple[Callable[[Any], bool], Callable[[type, Any], Any]]]

_NUMERIC_KINDS = frozenset("biuf")  # bool, signed and unsigned integers, floats


class _NdarrayDecoder:
    """Decode a JSON array of numbers (or a string holding one, as a query parameter does) into an ``ndarray``.

    Instances are falsy on purpose. For a handler parameter annotated with a decoded type, Litestar 2's signature
    model stores the decoder on the type (``setattr(annotation, "_decoder", decoder)``, when the decoder is truthy),
    which raises ``TypeError`` for an immutable builtin type such as ``numpy.ndarray``; sqlspec's own plugin works
    around it with an ``ndarray`` subclass swapped in through the signature namespace, which misses every annotation
    that is not a string. A falsy decoder is skipped there and is still found through ``type_decoders`` when values
    are decoded, for ``data: np.ndarray`` and for ``np.ndarray`` fields of msgspec structs, dataclasses and the like.
    """

    __slots__ = ("_numpy",)

    def __init__(self, numpy: Any) -> None:
        self._numpy = numpy

    def __bool__(self) -> bool:
        return False

    def __call__(self, target_type: type, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = msgspec.json.decode(value)
            except msgspec.DecodeError:
                msg = "Expected an array of numbers"
                raise ValueError(msg) from None
        array = self._numpy.asarray(value)  # ValueError for ragged nesting
        if array.dtype.kind not in _NUMERIC_KINDS:
            msg = "Expected an array of numbers"
            raise TypeError(msg)
        return array


@cache
def _hooks() -> tuple[tuple[tuple[type, Callable[[Any], Any]], ...], Callable[[Any], bool], _NdarrayDecoder] | None:
    # Built once, so that registering twice finds the same predicate and decoder objects.
    if importlib.util.find_spec("numpy") is None:
        return None
    import numpy  # noqa: PLC0415 - optional dependency, imported only when installed

    ndarray = numpy.ndarray

    def is_ndarray(target_type: Any) -> bool:
        return target_type is ndarray

    encoders: tuple[tuple[type, Callable[[Any], Any]], ...] = (
        (ndarray, lambda array: array.tolist()),
        (numpy.generic, lambda scalar: scalar.item()),  # numpy scalars, such as the result of ``array.sum()``
    )
    return encoders, is_ndarray, _NdarrayDecoder(numpy)


def numpy_codecs() -> tuple[TypeEncoders, TypeDecoders]:
    """Return Litestar ``type_encoders`` and ``type_decoders`` for numpy arrays, both empty without numpy.

    Encoders: an ``ndarray`` becomes nested lists (``array.tolist()``), a numpy scalar its Python value. Decoder: a
    value for a parameter or field annotated ``numpy.ndarray`` (or ``numpy.typing.NDArray[...]``) must be a, possibly
    nested, array of numbers or booleans (for a query parameter: that array as JSON, ``?vector=[1,2]``) and becomes
    ``numpy.asarray(value)``, with the dtype numpy infers (``int64``, ``float64``, ``bool``); anything else is a
    validation error (400).

    Returns:
        ``(type_encoders, type_decoders)``, new containers on every call.
    """
    hooks = _hooks()
    if hooks is None:
        return {}, []
    encoders, is_ndarray, decoder = hooks
    return dict(encoders), [(is_ndarray, decoder)]


def register_numpy(app_config: "AppConfig") -> None:
    """Add the numpy codecs to ``app_config``, keeping the encoders and decoders it already has.

    An encoder already registered for a type wins over this module's; decoders already registered come first, so
    one of them that matches ``numpy.ndarray`` wins. Registering twice adds nothing. Without numpy, does nothing.

    Args:
        app_config: the application config, typically in a plugin's ``on_app_init``.
    """
    encoders, decoders = numpy_codecs()
    if not encoders:
        return
    app_config.type_encoders = {**encoders, **(app_config.type_encoders or {})}
    existing = list(app_config.type_decoders or [])
    app_config.type_decoders = [*existing, *(pair for pair in decoders if pair not in existing)]
