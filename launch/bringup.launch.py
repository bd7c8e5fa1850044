"""Start Reachy Mini on ROS 2: hardware node, web bridge, robot model, diagnostics and RViz.

    ros2 launch reachy_mini bringup.launch.py [backend:=serial] [use_rviz:=true] ...

The nodes, their names and the argument defaults come from ``reachy_mini_ros.bringup``, which
``reachy-mini bringup`` reads too, so both start the same stack. Only launch, launch_ros,
ament_index_python and reachy_mini_ros are imported: with the optional nodes turned off
(``use_robot_state_publisher:=false use_diagnostics_aggregator:=false``) this runs where only
this package and launch_ros are installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.launch_description import LaunchDescription
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from reachy_mini_ros.bringup import (
    ANALYZERS_FILE,
    INTEGER_ARGUMENTS,
    LAUNCH_DEFAULTS,
    NODES,
    RVIZ_FILE,
    URDF_FILE,
    NodeSpec,
)
from reachy_mini_ros.interface.share import default_params_file, share_dir

ARGUMENT_HELP = {
    "backend": "Motor bus: 'sim' (simulated motors) or 'serial' (the robot)",
    "serial_port": "Serial device of the robot, or 'auto' to find it by USB id",
    "params_file": "Parameter file of hardware_node and bridge_node",
    "use_bridge": "Start the web bridge and dashboard (bridge_node)",
    "bridge_host": "Address the bridge listens on",
    "bridge_port": "TCP port the bridge listens on",
    "use_robot_state_publisher": "Publish the URDF and TF with robot_state_publisher",
    "use_diagnostics_aggregator": "Group /diagnostics into /diagnostics_agg",
    "use_rviz": "Open RViz with the robot model",
}
ARGUMENT_CHOICES = {"backend": ["sim", "serial"]}
# Seconds before a crashed node is started again: long enough for the serial port to be
# released by the dead process.
RESPAWN_DELAY = 2.0


def declare_arguments() -> list[DeclareLaunchArgument]:
    """Declare every launch argument of LAUNCH_DEFAULTS, with its help text and choices."""
    defaults = dict(LAUNCH_DEFAULTS)
    # An empty params_file means the package's own file; show its path in `ros2 launch -s`.
    defaults["params_file"] = defaults["params_file"] or str(default_params_file())
    return [
        DeclareLaunchArgument(
            name,
            default_value=value,
            description=ARGUMENT_HELP.get(name, name),
            choices=ARGUMENT_CHOICES.get(name),
        )
        for name, value in defaults.items()
    ]


def node_settings(spec: NodeSpec, share: Path) -> dict[str, Any]:
    """Return the parameters and arguments of one node of NODES."""
    parameters: list[Any] = []
    arguments: list[str] = []
    if spec.uses_params_file:
        parameters.append(LaunchConfiguration("params_file"))
    overrides: dict[str, Any] = {
        parameter: ParameterValue(
            LaunchConfiguration(argument),
            value_type=int if argument in INTEGER_ARGUMENTS else str,
        )
        for parameter, argument in spec.argument_parameters.items()
    }
    if spec.executable == "robot_state_publisher":
        urdf = (share / "urdf" / URDF_FILE).read_text()
        overrides = {"robot_description": ParameterValue(urdf, value_type=str)}
    elif spec.executable == "aggregator_node":
        parameters.append(str(share / "config" / ANALYZERS_FILE))
    elif spec.executable == "rviz2":
        arguments = ["-d", str(share / "config" / RVIZ_FILE)]
    # As in `reachy-mini bringup`: the launch arguments win over a spec's fixed parameters.
    overrides = {**spec.extra_parameters, **overrides}
    if overrides:
        parameters.append(overrides)
    return {"parameters": parameters or None, "arguments": arguments or None}


def generate_launch_description() -> LaunchDescription:
    """Describe the stack: the arguments, then one node per entry of NODES."""
    share = share_dir()
    actions: list[Any] = list(declare_arguments())
    for spec in NODES:
        condition = IfCondition(LaunchConfiguration(spec.enabled_by)) if spec.enabled_by else None
        actions.append(
            Node(
                package=spec.package,
                executable=spec.executable,
                name=spec.name,
                output="screen",
                respawn=spec.respawn,
                respawn_delay=RESPAWN_DELAY if spec.respawn else None,
                condition=condition,
                **node_settings(spec, share),
            )
        )
    return LaunchDescription(actions)
