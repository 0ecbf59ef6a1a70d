"""The public surface: every module declares ``__all__``; sqlspec's own Litestar extension is never imported."""

import ast
import importlib
import pkgutil
import subprocess
import sys
import typing
from pathlib import Path

import sqlspec.adapters

import litestar_sqlspec
from litestar_sqlspec import LitestarConfig, SQLSpecStore

MODULES = [
    *sorted(info.name for info in pkgutil.walk_packages(litestar_sqlspec.__path__, prefix="litestar_sqlspec.")),
    "litestar_sqlspec",
]


def test_every_module_declares_its_public_names_as_a_tuple() -> None:
    for name in MODULES:
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        assert isinstance(exported, tuple), f"{name} has no tuple __all__"
        missing = [item for item in exported if not hasattr(module, item)]
        assert not missing, f"{name}.__all__ names undefined {missing}"


def test_the_package_exports_the_drop_in_names() -> None:
    expected = {
        "SQLSpecPlugin",
        "LitestarConfig",
        "CommitMode",
        "DEFAULT_COMMIT_MODE",
        "DEFAULT_CONNECTION_KEY",
        "DEFAULT_POOL_KEY",
        "DEFAULT_SESSION_KEY",
        "database_group",
    }
    assert expected <= set(litestar_sqlspec.__all__)


def test_every_name_of_sqlspecs_extension_is_here_too() -> None:
    """Switching is one import: whatever sqlspec's extension (and its providers module) exports, this package does."""
    import sqlspec.extensions.litestar as reference
    import sqlspec.extensions.litestar.providers as reference_providers

    import litestar_sqlspec.providers

    assert set(reference.__all__) <= set(litestar_sqlspec.__all__)
    assert set(reference_providers.__all__) <= set(litestar_sqlspec.providers.__all__)


def test_sqlspecs_own_litestar_extension_is_never_imported() -> None:
    code = (
        "import sys, importlib\n"
        f"for name in {MODULES!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith('sqlspec.extensions.litestar')"
        " or (m.startswith('sqlspec.adapters.') and '.litestar' in m))\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.strip() == "[]"


def sqlspec_adapter_exports() -> dict[str, list[str]]:
    """``__all__`` of each ``sqlspec.adapters.<adapter>.litestar``, read from its source: several adapters' drivers
    are not installed here, and importing such a module fails."""
    exports = {}
    for init in sorted(Path(next(iter(sqlspec.adapters.__path__))).glob("*/litestar/__init__.py")):
        for node in ast.parse(init.read_text()).body:
            if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "__all__" for target in node.targets):
                exports[init.parent.parent.name] = list(ast.literal_eval(node.value))
    return exports


def test_every_name_of_sqlspecs_adapter_litestar_modules_is_here_too() -> None:
    exports = sqlspec_adapter_exports()
    assert len(exports) == 20, sorted(exports)  # sqlspec 0.69's adapters with a Litestar store
    names = {name for module in exports.values() for name in module}
    missing = sorted(names - set(litestar_sqlspec.__all__))
    assert not missing, missing
    stores = {name for name in names if name.endswith("Store")}
    assert len(stores) == 26
    assert all(getattr(litestar_sqlspec, name) is SQLSpecStore for name in stores | {"AdbcStore", "SqliteStore"})
    configs = {name for name in names if name.endswith("LitestarConfig")}
    assert all(getattr(litestar_sqlspec, name) is LitestarConfig for name in configs)
    assert names - stores - configs == {"OracleLitestarCompressionConfig", "OracleLitestarPartitionConfig"}


def test_sqlspecs_litestar_config_typed_dicts_fit_ours() -> None:
    """Every key of each sqlspec ``*LitestarConfig`` is a key of ``LitestarConfig``; Oracle's nested ones match."""
    from sqlspec.adapters.oracledb import litestar as oracle

    ours = set(LitestarConfig.__annotations__)
    for source in Path(next(iter(sqlspec.adapters.__path__))).glob("*/litestar/*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ClassDef) and node.name.endswith("LitestarConfig"):
                keys = {item.target.id for item in node.body if isinstance(item, ast.AnnAssign)}  # type: ignore[union-attr]
                assert keys <= ours, (source, keys - ours)
    for name in ("OracleLitestarCompressionConfig", "OracleLitestarPartitionConfig"):
        theirs, here = getattr(oracle, name), getattr(litestar_sqlspec, name)
        assert typing.get_type_hints(here) == typing.get_type_hints(theirs)
