"""Start Reachy Mini on ROS 2: hardware node, web bridge, robot model, diagnostics and RViz.

    ros2 launch reachy_mini bringup.launch.py [backend:=serial] [use_rviz:=true] ...

The nodes, their names and the argument defaults come from ``reachy_mini_ros.bringup``, which
``reachy-mini bringup`` reads too, so both start the same stack. Only launch, launch_ros,
ament_index_python and reachy_mini_ros are imported.

An optional node whose package is not installed (robot_state_publisher, diagnostic_aggregator,
rviz2) is skipped with a warning that names its argument, decided before any process starts:
the rest of the stack runs. A node that crashes is started again after RESPAWN_DELAY; one that
exits with status 0 was stopped on purpose (the hardware node after its lifecycle shutdown)
and stays stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import launch.logging
from ament_index_python.packages import PackageNotFoundError, get_package_prefix
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    LogInfo,
    OpaqueFunction,
    RegisterEventHandler,
)
from launch.condition import Condition
from launch.conditions import IfCondition
from launch.event_handlers import OnProcessExit
from launch.events import matches_action
from launch.events.process import ShutdownProcess
from launch.launch_context import LaunchContext
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


def installed(package: str) -> bool:
    """Return whether the ament index knows package."""
    try:
        get_package_prefix(package)
    except PackageNotFoundError:
        return False
    return True


def wanted(spec: NodeSpec, context: LaunchContext) -> bool:
    """Return whether the launch arguments turn the node on."""
    return spec.enabled_by is None or IfCondition(LaunchConfiguration(spec.enabled_by)).evaluate(
        context
    )


def available(spec: NodeSpec) -> bool:
    """Return whether the node's package is there: this package's own nodes always are."""
    return not spec.needs_ros_install or installed(spec.package)


def missing(context: LaunchContext) -> list[NodeSpec]:
    """Return the nodes the arguments turn on whose package is not installed."""
    return [spec for spec in NODES if wanted(spec, context) and not available(spec)]


def warn_missing(context: LaunchContext) -> list[Any]:
    """Say which wanted nodes are skipped, before any process starts."""
    logger = launch.logging.get_logger("reachy_mini.bringup")
    for spec in missing(context):
        logger.warning(
            f"{spec.package} is not installed: {spec.name} is not started "
            f"({spec.enabled_by}:=false turns it off, and this warning with it)"
        )
    return []


def started_when(spec: NodeSpec) -> Condition | None:
    """Return the node's condition: turned on by its argument, and its package installed
    (the same test as ``missing``); None for a node that always starts."""
    if spec.enabled_by is None and not spec.needs_ros_install:
        return None
    return Condition(predicate=lambda context: wanted(spec, context) and available(spec))


def keep_stopped_on_status_0(node: Node, spec: NodeSpec) -> RegisterEventHandler:
    """Cancel the respawn of a node that exited with status 0: it was stopped on purpose."""

    def on_exit(event: Any, context: LaunchContext) -> list[Any] | None:
        if event.returncode != 0:
            return None  # a crash: ExecuteProcess starts it again after RESPAWN_DELAY
        return [
            LogInfo(msg=f"{spec.name} stopped (exit status 0); not restarting it"),
            EmitEvent(event=ShutdownProcess(process_matcher=matches_action(node))),
        ]

    return RegisterEventHandler(OnProcessExit(target_action=node, on_exit=on_exit))


def generate_launch_description() -> LaunchDescription:
    """Describe the stack: the arguments, the missing packages, one node per entry of NODES."""
    share = share_dir()
    actions: list[Any] = [*declare_arguments(), OpaqueFunction(function=warn_missing)]
    for spec in NODES:
        node = Node(
            package=spec.package,
            executable=spec.executable,
            name=spec.name,
            output="screen",
            respawn=spec.respawn,
            respawn_delay=RESPAWN_DELAY if spec.respawn else None,
            condition=started_when(spec),
            **node_settings(spec, share),
        )
        actions.append(node)
        if spec.respawn:
            actions.append(keep_stopped_on_status_0(node, spec))
    return LaunchDescription(actions)
