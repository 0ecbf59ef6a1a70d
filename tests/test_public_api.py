"""The public surface: every module declares ``__all__``; sqlspec's own Litestar extension is never imported."""

import importlib
import pkgutil
import subprocess
import sys

import litestar_sqlspec

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
