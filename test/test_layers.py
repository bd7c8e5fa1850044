"""The package's layers import only downward, and no module imports itself back.

Every import counts, including those under ``if TYPE_CHECKING:`` and inside functions: a
cycle that only the type checker follows still ties two modules into one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "reachy_mini_ros"
SOURCE = ROOT / PACKAGE


def module_name(path: Path) -> str:
    """Return the dotted name of a source file of the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    """Return {module name: path} of every module of the package."""
    return {module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


def imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Yield every name that the module imports, wherever the import statement is.

    ``from a import b`` yields ``a.b`` when b is a module and ``a`` otherwise.
    """
    modules = package_modules()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                name = f"{origin}.{alias.name}"
                yield name if name in modules else origin


def import_graph() -> dict[str, set[str]]:
    """Return {module: modules of the package that it imports}."""
    modules = package_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        imported = imported_names(tree, name, path.name == "__init__.py")
        graph[name] = {target for target in imported if target in modules and target != name}
    return graph


def external_imports(path: Path) -> set[str]:
    """Return the top-level names of the modules that a file imports from outside."""
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


LAYERS = ("interface", "db", "hardware", "bridge")
# What each layer may import from the package besides itself: the layers below it, and the
# nodes' first import (numpy_on_demand must come before rclpy).
ALLOWED = {
    "interface": set(),
    "db": set(),
    "hardware": {"interface", "reachy_mini_ros.numpy_on_demand"},
    "bridge": {"interface", "db", "reachy_mini_ros.numpy_on_demand"},
}


def layer(module: str) -> str:
    """Return the layer of a module; a top-level module (cli, bringup...) is its own."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else module


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_finder_sees_imports_under_type_checking() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from reachy_mini_ros.bridge.runtime import Bridge\n"
        "def f():\n"
        "    from . import state\n"
    )
    names = set(imported_names(tree, "reachy_mini_ros.bridge.components", False))
    assert "reachy_mini_ros.bridge.runtime" in names
    assert "reachy_mini_ros.bridge.state" in names


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_between_modules_of_the_package() -> None:
    graph = import_graph()
    assert graph["reachy_mini_ros.bridge.runtime"], "the graph has no edges: the finder is off"
    assert cycles(graph) == []


@pytest.mark.parametrize("layer_name", LAYERS)
def test_each_layer_imports_only_the_layers_below_it(layer_name: str) -> None:
    wrong = []
    for module, targets in import_graph().items():
        if layer(module) != layer_name:
            continue
        for target in targets:
            target_layer = layer(target)
            if target_layer != layer_name and target_layer not in ALLOWED[layer_name]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_the_bridge_and_the_layers_below_never_import_the_rust_core() -> None:
    # The bridge learns about the core from /diagnostics; only the hardware node (and the
    # command-line tools) load it.
    wrong = [
        name
        for name, path in package_modules().items()
        if layer(name) in ("interface", "db", "bridge")
        and "reachy_mini_core_rs" in external_imports(path)
    ]
    assert wrong == []
