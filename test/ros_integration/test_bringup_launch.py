"""The launch file loads with the real launch and launch_ros, and starts what NODES lists.

launch and launch_ros come with a ROS 2 install, not from PyPI: where they are missing, this
module is skipped. The description is evaluated in a LaunchContext without starting any
process, the way `ros2 launch` resolves it before running it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from reachy_mini_ros.bringup import (
    ANALYZERS_FILE,
    LAUNCH_DEFAULTS,
    NODES,
    RVIZ_FILE,
    URDF_FILE,
)
from reachy_mini_ros.interface.share import default_params_file, share_dir

pytest.importorskip("launch", reason="launch is part of a ROS 2 install, not of the PyPI wheels")
launch_ros = pytest.importorskip(
    "launch_ros", reason="launch_ros is part of a ROS 2 install, not of the PyPI wheels"
)

from launch.launch_context import LaunchContext  # noqa: E402
from launch.launch_description_sources.python_launch_file_utilities import (  # noqa: E402
    get_launch_description_from_python_launch_file,
    load_python_launch_file_as_module,
)
from launch.utilities import perform_substitutions  # noqa: E402
from launch.utilities.type_utils import perform_typed_substitution  # noqa: E402
from launch_ros.actions import Node  # noqa: E402

LAUNCH_FILE = Path(__file__).resolve().parents[2] / "launch" / "bringup.launch.py"


@dataclass
class Resolved:
    """The launch description evaluated for one set of arguments."""

    context: LaunchContext
    nodes: dict[str, Node]
    # Per node: the parameter files it gets, and the parameters set inline by the launch file.
    parameter_files: dict[str, list[str]]
    inline_parameters: dict[str, dict[str, Any]]

    def started(self) -> set[str]:
        """Return the names of the nodes whose condition holds."""
        return {
            name
            for name, node in self.nodes.items()
            if node.condition is None or node.condition.evaluate(self.context)
        }


def resolve(arguments: dict[str, str] | None = None) -> Resolved:
    """Load the launch file, apply arguments over the defaults, expand every node."""
    description = get_launch_description_from_python_launch_file(str(LAUNCH_FILE))
    context = LaunchContext()
    for declared in description.get_launch_arguments():
        context.launch_configurations[declared.name] = perform_substitutions(
            context, declared.default_value
        )
    context.launch_configurations.update(arguments or {})
    resolved = Resolved(context, {}, {}, {})
    for entity in description.entities:
        if not isinstance(entity, Node):
            continue
        entity._perform_substitutions(context)
        name = entity.node_name.rsplit("/", 1)[-1]
        resolved.nodes[name] = entity
        files: list[str] = []
        inline: dict[str, Any] = {}
        for argument, is_file in entity._Node__expanded_parameter_arguments or []:
            assert is_file, argument
            path = Path(argument)
            # launch_ros writes the dict parameters to a temporary launch_params_* file.
            if path.name.startswith("launch_params_"):
                for section in yaml.safe_load(path.read_text()).values():
                    inline.update(section["ros__parameters"])
                path.unlink()
            else:
                files.append(argument)
        resolved.parameter_files[name] = files
        resolved.inline_parameters[name] = inline
    return resolved


def arguments_of(node: Node, context: LaunchContext) -> list[str]:
    """Return the command-line arguments given to the node's executable, before --ros-args."""
    arguments: list[str] = []
    for part in node.cmd[1:]:
        value = perform_substitutions(context, part)
        if value == "--ros-args":
            return arguments
        arguments.append(value)
    raise AssertionError("the node's command has no --ros-args")


def test_launch_declares_every_bringup_argument_with_its_default() -> None:
    description = get_launch_description_from_python_launch_file(str(LAUNCH_FILE))
    context = LaunchContext()
    declared = {
        a.name: perform_substitutions(context, a.default_value)
        for a in description.get_launch_arguments()
    }
    expected = dict(LAUNCH_DEFAULTS)
    expected["params_file"] = str(default_params_file())
    assert declared == expected


def test_launch_starts_one_node_per_bringup_spec_by_package_and_executable() -> None:
    nodes = resolve().nodes
    assert set(nodes) == {spec.name for spec in NODES}
    for spec in NODES:
        assert nodes[spec.name].node_package == spec.package
        assert nodes[spec.name].node_executable == spec.executable


def test_launch_respawns_this_packages_nodes_and_only_the_nodes_bringup_asks_for() -> None:
    resolved = resolve()
    for spec in NODES:
        # ExecuteLocal keeps respawn as a substitution without a public getter.
        respawn = resolved.nodes[spec.name]._ExecuteLocal__respawn
        assert perform_typed_substitution(resolved.context, respawn, bool) is spec.respawn
    assert [spec.name for spec in NODES if spec.respawn] == ["hardware_node", "bridge_node"]
    for name in ("hardware_node", "bridge_node"):
        delay = resolved.nodes[name]._ExecuteLocal__respawn_delay
        assert delay is not None and float(delay) > 0.0


# Whether a package is installed here, as the launch file itself asks the ament index.
installed = load_python_launch_file_as_module(str(LAUNCH_FILE)).installed


def test_launch_defaults_start_everything_but_rviz_that_is_installed() -> None:
    expected = {
        spec.name for spec in NODES if not spec.needs_ros_install or installed(spec.package)
    } - {"rviz2"}
    assert {"hardware_node", "bridge_node"} <= expected
    assert resolve().started() == expected


def test_a_missing_optional_package_is_named_with_its_argument_before_anything_starts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    description = get_launch_description_from_python_launch_file(str(LAUNCH_FILE))
    resolved = resolve({"use_rviz": "true"})
    absent = [spec for spec in NODES if spec.needs_ros_install and not installed(spec.package)]
    if not absent:
        pytest.skip("every optional package is installed here")
    # The check comes first among the actions, before the first node.
    kinds = [type(entity).__name__ for entity in description.entities]
    assert kinds.index("OpaqueFunction") < kinds.index("Node")
    check = next(e for e in description.entities if type(e).__name__ == "OpaqueFunction")
    import launch.logging

    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = launch.logging.get_logger("reachy_mini.bringup")
    logger.addHandler(handler)
    try:
        check.execute(resolved.context)
    finally:
        logger.removeHandler(handler)
    for spec in absent:
        assert (
            f"{spec.package} is not installed: {spec.name} is not started "
            f"({spec.enabled_by}:=false turns it off, and this warning with it)"
        ) in lines
        assert spec.name not in resolved.started()
    assert {"hardware_node", "bridge_node"} <= resolved.started()


def test_launch_turns_optional_nodes_off_leaving_only_the_hardware_node() -> None:
    arguments = {spec.enabled_by: "false" for spec in NODES if spec.enabled_by}
    assert resolve(arguments).started() == {"hardware_node"}


def test_launch_passes_params_file_backend_and_port_to_the_hardware_node(tmp_path: Path) -> None:
    params = tmp_path / "robot.yaml"
    params.write_text("hardware_node:\n  ros__parameters:\n    control_rate_hz: 100.0\n")
    resolved = resolve(
        {"backend": "serial", "serial_port": "/dev/ttyACM0", "params_file": str(params)}
    )
    assert resolved.parameter_files["hardware_node"] == [str(params)]
    assert resolved.inline_parameters["hardware_node"] == {
        "backend": "serial",
        "serial_port": "/dev/ttyACM0",
    }


def test_launch_gives_the_bridge_its_host_and_port_as_typed_parameters() -> None:
    resolved = resolve({"bridge_host": "0.0.0.0", "bridge_port": "8765"})
    assert resolved.parameter_files["bridge_node"] == [str(default_params_file())]
    assert resolved.inline_parameters["bridge_node"] == {"api_host": "0.0.0.0", "api_port": 8765}


def test_launch_gives_robot_state_publisher_the_urdf_as_robot_description() -> None:
    resolved = resolve()
    assert resolved.parameter_files["robot_state_publisher"] == []
    urdf = (share_dir() / "urdf" / URDF_FILE).read_text()
    assert resolved.inline_parameters["robot_state_publisher"] == {"robot_description": urdf}


def test_launch_gives_the_aggregator_the_analyzers_file() -> None:
    resolved = resolve()
    analyzers = share_dir() / "config" / ANALYZERS_FILE
    assert resolved.parameter_files["diagnostic_aggregator"] == [str(analyzers)]
    assert resolved.inline_parameters["diagnostic_aggregator"] == {}


def test_launch_opens_rviz_with_the_package_view() -> None:
    resolved = resolve({"use_rviz": "true"})
    assert ("rviz2" in resolved.started()) is installed("rviz2")
    view = share_dir() / "config" / RVIZ_FILE
    assert arguments_of(resolved.nodes["rviz2"], resolved.context) == ["-d", str(view)]
