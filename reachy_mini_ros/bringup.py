"""Say what bringup starts: executables, node names and parameter files.

This is the one source of truth for both ``reachy-mini bringup`` (no ROS install needed) and
``launch/bringup.launch.py`` (ROS installs): each reads NODES and builds its processes from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reachy_mini_ros.interface.share import PACKAGE

ANALYZERS_FILE = "analyzers.yaml"
URDF_FILE = "reachy_mini.urdf"
RVIZ_FILE = "reachy_mini.rviz"


@dataclass(frozen=True)
class NodeSpec:
    """One node that bringup starts."""

    package: str
    executable: str
    name: str
    # Module that `python -m` runs for this package's nodes (the entry point's module).
    module: str | None = None
    # Launch argument that turns the node on or off; None means always started.
    enabled_by: str | None = None
    # Whether the package's parameter file is passed to the node.
    uses_params_file: bool = True
    # Whether bringup restarts the node when it exits unexpectedly.
    respawn: bool = False
    # Whether the node is only available with a full ROS install (not from PyPI wheels).
    needs_ros_install: bool = False
    extra_parameters: dict[str, str] = field(default_factory=dict)
    # Parameters set from launch arguments: {parameter name: launch argument name}.
    argument_parameters: dict[str, str] = field(default_factory=dict)


NODES: tuple[NodeSpec, ...] = (
    NodeSpec(
        PACKAGE,
        "hardware_node",
        "hardware_node",
        module="reachy_mini_ros.hardware.node",
        respawn=True,
        argument_parameters={"backend": "backend", "serial_port": "serial_port"},
    ),
    NodeSpec(
        PACKAGE,
        "bridge_node",
        "bridge_node",
        module="reachy_mini_ros.bridge.node",
        enabled_by="use_bridge",
        respawn=True,
        argument_parameters={"api_host": "bridge_host", "api_port": "bridge_port"},
    ),
    NodeSpec(
        "robot_state_publisher",
        "robot_state_publisher",
        "robot_state_publisher",
        enabled_by="use_robot_state_publisher",
        uses_params_file=False,
        needs_ros_install=True,
    ),
    NodeSpec(
        "diagnostic_aggregator",
        "aggregator_node",
        "diagnostic_aggregator",
        enabled_by="use_diagnostics_aggregator",
        uses_params_file=False,
        needs_ros_install=True,
    ),
    NodeSpec(
        "rviz2",
        "rviz2",
        "rviz2",
        enabled_by="use_rviz",
        uses_params_file=False,
        needs_ros_install=True,
    ),
)

# Launch arguments and their defaults, shared by the launch file and the CLI.
LAUNCH_DEFAULTS: dict[str, str] = {
    "backend": "sim",
    "serial_port": "auto",
    "params_file": "",
    "use_bridge": "true",
    "bridge_host": "127.0.0.1",
    "bridge_port": "8000",
    "use_robot_state_publisher": "true",
    "use_diagnostics_aggregator": "true",
    "use_rviz": "false",
}


# Launch arguments whose parameter is an integer; every other argument is passed as text.
INTEGER_ARGUMENTS = frozenset({"bridge_port"})
