"""Keep the typed stub of the core honest: stubtest checks it against the compiled module."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import reachy_mini_core_rs._core as module

import reachy_mini_core_rs

STUB = Path(reachy_mini_core_rs.__file__).with_name("_core.pyi")


def public(name: str) -> bool:
    """Tell whether a name belongs to the interface."""
    return not name.startswith("_") or name == "__version__"


def test_stubtest_finds_the_stub_consistent_with_the_module(tmp_path: Path) -> None:
    # stubtest imports the compiled module and compares every name, signature (parameter
    # names, kinds, defaults), property, @final class and __all__ with the stub. It runs in
    # tmp_path so that its cache and the project's mypy settings stay out of it.
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "reachy_mini_core_rs._core"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_stub_bases_match_the_module_bases() -> None:
    # stubtest does not compare base classes: LimitError must stay a ValueError in both.
    classes = [n for n in ast.parse(STUB.read_text()).body if isinstance(n, ast.ClassDef)]
    assert classes
    for node in classes:
        stub_bases = [b.id for b in node.bases if isinstance(b, ast.Name)] or ["object"]
        module_bases = [b.__name__ for b in getattr(module, node.name).__bases__]
        assert stub_bases == module_bases, node.name


def test_package_reexports_every_name_of_the_module() -> None:
    assert set(reachy_mini_core_rs.__all__) == {n for n in dir(module) if public(n)}


def test_version_comes_from_the_crate() -> None:
    # The package's own version, not any `version = ...` line (a dependency's would do).
    cargo = Path(__file__).resolve().parents[2] / "reachy_mini_core_rs" / "Cargo.toml"
    assert module.__version__ == tomllib.loads(cargo.read_text())["package"]["version"]
