"""numpy arrays in responses and request bodies of an app with the plugin; no numpy import when it is missing."""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from litestar import Litestar, get, post
from litestar.config.app import AppConfig
from litestar.params import FromQuery, JSONBody
from litestar.testing import TestClient
from numpy.typing import NDArray
from sqlspec import SQLSpec
from sqlspec.adapters.sqlite import SqliteConfig

from litestar_sqlspec import SQLSpecPlugin
from litestar_sqlspec.numpy_codecs import numpy_codecs, register_numpy


class Measurement(msgspec.Struct):
    name: str
    values: np.ndarray


@dataclass
class Image:
    pixels: NDArray[np.float64]


def app(tmp_path: Path, route_handlers: list[Any], **kwargs: Any) -> Litestar:
    spec = SQLSpec()
    spec.add_config(SqliteConfig(connection_config={"database": str(tmp_path / "app.db")}))
    return Litestar(route_handlers=route_handlers, plugins=[SQLSpecPlugin(spec)], **kwargs)


def describe(array: np.ndarray) -> dict[str, Any]:
    return {"shape": list(array.shape), "dtype": str(array.dtype), "values": array.tolist()}


@post("/arrays")
async def post_array(data: JSONBody[np.ndarray]) -> dict[str, Any]:
    return describe(data)


@post("/measurements")
async def post_measurement(data: JSONBody[Measurement]) -> dict[str, Any]:
    return {"name": data.name, **describe(data.values)}


@post("/images", sync_to_thread=False)
def post_image(data: JSONBody[Image]) -> dict[str, Any]:
    return describe(data.pixels)


@get("/vectors")
async def get_vector(vector: FromQuery[np.ndarray]) -> dict[str, Any]:
    return describe(vector)


MATRIX = np.array([[0.1, 1 / 3, -2.5e-300], [1e300, 0.0, 7.25]])
COUNTS = np.array([1, -2, 2**62], dtype=np.int64)


@get("/stats")
async def stats() -> dict[str, Any]:
    return {"matrix": MATRIX, "counts": COUNTS, "total": COUNTS[:2].sum(), "mean": np.float32(0.5)}


def test_arrays_in_responses_round_trip_exact_values(tmp_path: Path) -> None:
    with TestClient(app(tmp_path, [stats])) as client:
        body = client.get("/stats").json()
    assert np.array_equal(np.array(body["matrix"]), MATRIX)
    assert body["counts"] == [1, -2, 2**62]
    assert body["total"] == -1
    assert body["mean"] == 0.5


def test_request_body_is_decoded_into_an_array(tmp_path: Path) -> None:
    with TestClient(app(tmp_path, [post_array])) as client:
        floats = client.post("/arrays", json=[[1.5, 2], [3, 4]])
        ints = client.post("/arrays", json=[1, 2, 3])
        flags = client.post("/arrays", json=[True, False])
    assert floats.json() == {"shape": [2, 2], "dtype": "float64", "values": [[1.5, 2.0], [3.0, 4.0]]}
    assert ints.json() == {"shape": [3], "dtype": "int64", "values": [1, 2, 3]}
    assert flags.json() == {"shape": [2], "dtype": "bool", "values": [True, False]}


def test_array_fields_of_structs_and_dataclasses_are_decoded(tmp_path: Path) -> None:
    with TestClient(app(tmp_path, [post_measurement, post_image])) as client:
        measurement = client.post("/measurements", json={"name": "t", "values": [20.5, 21]})
        image = client.post("/images", json={"pixels": [[0, 1], [1, 0]]})
    assert measurement.json() == {"name": "t", "shape": [2], "dtype": "float64", "values": [20.5, 21.0]}
    assert image.json() == {"shape": [2, 2], "dtype": "int64", "values": [[0, 1], [1, 0]]}


def test_query_parameter_carries_the_array_as_json(tmp_path: Path) -> None:
    with TestClient(app(tmp_path, [get_vector])) as client:
        vector = client.get("/vectors", params={"vector": "[[1, 2], [3, 4]]"})
        invalid = client.get("/vectors", params={"vector": "1,2"})
    assert vector.json() == {"shape": [2, 2], "dtype": "int64", "values": [[1, 2], [3, 4]]}
    assert invalid.status_code == 400


@pytest.mark.parametrize(
    "body",
    [[[1, 2], [3]], ["a", "b"], [1, "a"], {"values": [1]}, [2**70], None, "not json"],
    ids=["ragged", "strings", "mixed", "object", "too-large", "null", "text"],
)
def test_invalid_array_bodies_are_rejected_with_400(tmp_path: Path, body: Any) -> None:
    with TestClient(app(tmp_path, [post_array, post_measurement])) as client:
        direct = client.post("/arrays", json=body)
        nested = client.post("/measurements", json={"name": "t", "values": body})
    assert direct.status_code == 400, direct.text
    assert nested.status_code == 400, nested.text


def test_registering_keeps_the_apps_own_codecs_and_is_idempotent() -> None:
    def own_encoder(array: np.ndarray) -> str:
        return "own"

    def own_predicate(target_type: Any) -> bool:
        return target_type is np.ndarray

    def own_decoder(target_type: type, value: Any) -> Any:
        return np.zeros(1)

    config = AppConfig(type_encoders={np.ndarray: own_encoder}, type_decoders=[(own_predicate, own_decoder)])
    register_numpy(config)
    register_numpy(config)
    encoders, decoders = numpy_codecs()
    assert config.type_encoders == {**encoders, np.ndarray: own_encoder}
    assert config.type_decoders == [(own_predicate, own_decoder), *decoders]


def test_apps_own_array_encoder_wins(tmp_path: Path) -> None:
    @get("/shape")
    async def shape() -> np.ndarray:
        return np.zeros((2, 3))

    own = app(tmp_path, [shape], type_encoders={np.ndarray: lambda array: {"shape": list(array.shape)}})
    with TestClient(own) as client:
        assert client.get("/shape").json() == {"shape": [2, 3]}


WITHOUT_NUMPY = """
import importlib.util
import sys


class HideNumpy:
    # numpy looks uninstalled: find_spec finds nothing and `import numpy` raises ModuleNotFoundError.
    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "numpy":
            return None
        return self.finder.find_spec(name, path, target)

    def __getattr__(self, name):
        return getattr(self.finder, name)


sys.meta_path[:] = [HideNumpy(finder) for finder in sys.meta_path]
assert importlib.util.find_spec("numpy") is None

from litestar import Litestar, get
from litestar.testing import TestClient
from sqlspec import SQLSpec
from sqlspec.adapters.sqlite import SqliteConfig

from litestar_sqlspec import SQLSpecPlugin
from litestar_sqlspec.numpy_codecs import numpy_codecs


@get("/")
async def index() -> list[int]:
    return [1, 2]


spec = SQLSpec()
spec.add_config(SqliteConfig(connection_config={"database": sys.argv[1]}))
app = Litestar(route_handlers=[index], plugins=[SQLSpecPlugin(spec)])
with TestClient(app) as client:
    assert client.get("/").json() == [1, 2]
assert numpy_codecs() == ({}, [])
loaded = sorted(name for name in sys.modules if name.partition(".")[0] == "numpy")
assert not loaded, loaded
"""


def test_without_numpy_nothing_imports_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_NUMPY, str(tmp_path / "app.db")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
