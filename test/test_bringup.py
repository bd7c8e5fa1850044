"""Bringup starts each of this package's nodes by the module of its entry point."""

from __future__ import annotations

from importlib.metadata import entry_points

from reachy_mini_ros.bringup import NODES
from reachy_mini_ros.interface.share import PACKAGE


def test_each_package_node_runs_the_module_of_its_entry_point() -> None:
    # `reachy-mini bringup` runs `python -m <module>`; `ros2 run` runs the entry point: the
    # two must start the same code.
    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    ours = [spec for spec in NODES if spec.package == PACKAGE]
    assert {spec.executable for spec in ours} == {"hardware_node", "bridge_node"}
    for spec in ours:
        assert scripts[spec.executable] == f"{spec.module}:main"
