"""Keep the typed stub of the core honest: same names, members and bases as the module."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import reachy_mini_core_rs._core as module

import reachy_mini_core_rs

STUB = Path(reachy_mini_core_rs.__file__).with_name("_core.pyi")


def stub_tree() -> ast.Module:
    """Parse the stub."""
    return ast.parse(STUB.read_text())


def public(name: str) -> bool:
    """Tell whether a name belongs to the interface."""
    return not name.startswith("_") or name == "__version__"


def stub_names() -> set[str]:
    """Return the top-level names the stub declares."""
    names: set[str] = set()
    for node in stub_tree().body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if public(n)}


def stub_classes() -> dict[str, ast.ClassDef]:
    """Return the classes of the stub by name."""
    return {n.name: n for n in stub_tree().body if isinstance(n, ast.ClassDef)}


def stub_members(node: ast.ClassDef) -> set[str]:
    """Return the public methods, properties and attributes a stub class declares."""
    members: set[str] = set()
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            members.add(item.name)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            members.add(item.target.id)
    return {m for m in members if not m.startswith("_")}


def module_members(cls: type) -> set[str]:
    """Return the public members a class adds over its bases."""
    inherited: set[str] = set()
    for base in cls.__bases__:
        inherited |= set(dir(base))
    return {m for m in set(dir(cls)) - inherited if not m.startswith("_")}


def test_stub_and_module_declare_the_same_names() -> None:
    assert stub_names() == {n for n in dir(module) if public(n)}


def test_stub_classes_have_the_members_of_the_module_classes() -> None:
    for name, node in stub_classes().items():
        cls = getattr(module, name)
        assert inspect.isclass(cls), name
        assert stub_members(node) == module_members(cls), name


def test_stub_properties_are_read_only_in_the_module_and_methods_are_callable() -> None:
    for name, node in stub_classes().items():
        cls = getattr(module, name)
        for item in node.body:
            if not isinstance(item, ast.FunctionDef) or item.name.startswith("_"):
                continue
            is_property = any(
                isinstance(d, ast.Name) and d.id == "property" for d in item.decorator_list
            )
            attribute = inspect.getattr_static(cls, item.name)
            if is_property:
                assert hasattr(attribute, "__get__") and not callable(attribute), (
                    f"{name}.{item.name}"
                )
            else:
                assert callable(attribute), f"{name}.{item.name}"


def test_stub_bases_match_the_module_bases() -> None:
    for name, node in stub_classes().items():
        stub_bases = [b.id for b in node.bases if isinstance(b, ast.Name)] or ["object"]
        module_bases = [b.__name__ for b in getattr(module, name).__bases__]
        assert stub_bases == module_bases, name


def test_package_reexports_every_name_of_the_module() -> None:
    assert set(reachy_mini_core_rs.__all__) == {n for n in dir(module) if public(n)}


def test_version_comes_from_the_crate() -> None:
    cargo = Path(__file__).resolve().parents[2] / "reachy_mini_core_rs" / "Cargo.toml"
    assert f'version = "{module.__version__}"' in cargo.read_text()
