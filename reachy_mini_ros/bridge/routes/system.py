"""GET /system/status and /system/info: the bridge's live state and its environment."""

from __future__ import annotations

import os
import platform
import sys

from fastapi import APIRouter

from reachy_mini_ros.bridge.deps import BridgeDep
from reachy_mini_ros.bridge.runtime import Bridge
from reachy_mini_ros.bridge.schemas import (
    ComponentDetail,
    ConfigInfo,
    DiagnosticsSummary,
    HealthConfig,
    PlatformInfo,
    PythonInfo,
    RobotSummary,
    RosInfo,
    RustCoreInfo,
    StatsModel,
    SystemInfo,
    SystemStatus,
)
from reachy_mini_ros.interface.status import RUST_CORE_STATUS, CoreKey

router = APIRouter(prefix="/system", tags=["system"])
MIB = 1024 * 1024


def _details(bridge: Bridge) -> dict[str, ComponentDetail]:
    healthy = bridge.services.healthy()
    return {
        name: ComponentDetail(
            healthy=healthy[name],
            state=status.state,
            critical=status.critical,
            uptime_s=status.uptime_s,
            start_duration_s=status.start_duration_s,
            restarts=status.restarts,
            last_error=status.last_error,
        )
        for name, status in bridge.services.status.items()
    }


@router.get("/status", response_model=SystemStatus)
async def status(bridge: BridgeDep) -> SystemStatus:
    """Return running state, uptime, components, process statistics and data freshness."""
    state = bridge.state
    config = bridge.config
    rss, cpu = bridge.process_stats()
    return SystemStatus(
        running=bridge.services.running,
        uptime=bridge.services.uptime_s,
        components=bridge.components(),
        component_details=_details(bridge),
        config=HealthConfig(
            api_host=config.api_host, api_port=config.api_port, debug=config.debug
        ),
        stats=StatsModel(
            requests_count=bridge.metrics.requests_count,
            active_connections=len(bridge.hub.clients),
            memory_usage=round(rss / MIB, 2),
            cpu_percent=cpu,
        ),
        robot=RobotSummary(
            joint_state_age_s=state.joint_state_age(),
            joint_state_rate_hz=round(state.joint_rate.rate_hz, 2),
            diagnostics_age_s=state.diagnostics_age(),
            diagnostics=DiagnosticsSummary(**state.diagnostics_summary()),
        ),
    )


def _ros_distro() -> str | None:
    distro = os.environ.get("ROS_DISTRO")
    if distro:
        return distro
    from importlib.metadata import PackageNotFoundError, version

    # The PyPI ROS wheels carry the distro's rclpy (Kilted's is ros-rclpy, Jazzy's
    # ros-jazzy-rclpy), whose major version names the distro.
    for wheel in ("ros-rclpy", "ros-jazzy-rclpy"):
        try:
            major = int(version(wheel).split(".")[0])
        except (PackageNotFoundError, ValueError):
            continue
        return {7: "jazzy", 9: "kilted"}.get(major)
    return None


@router.get("/info", response_model=SystemInfo)
async def info(bridge: BridgeDep) -> SystemInfo:
    """Return the configuration (no secrets) and the software environment."""
    config = bridge.config
    core = bridge.state.diagnostics.statuses.get(RUST_CORE_STATUS)
    fresh = bridge.state.rust_core(config.stale_after_s)
    return SystemInfo(
        config=ConfigInfo(
            api_host=config.api_host,
            api_port=config.api_port,
            debug=config.debug,
            database_url=bridge.redacted_db_url(),
            cors_origins=list(config.cors_origins),
            health_check_interval=config.health_check_interval,
            web_dist=config.web_dist,
            data_dir=str(config.data_dir),
            max_rate_hz=config.max_rate_hz,
            token_source=bridge.token.origin if bridge.token is not None else "none",
        ),
        python=PythonInfo(version=sys.version, implementation=platform.python_implementation()),
        platform=PlatformInfo(
            system=platform.system(),
            release=platform.release(),
            machine=platform.machine(),
            platform=sys.platform,
        ),
        rust_core=RustCoreInfo(
            available=fresh is not None,
            version=core.values.get(CoreKey.VERSION) if core else None,
            backend=core.values.get(CoreKey.BACKEND) if core else None,
            loop_running=core.values.get(CoreKey.LOOP_RUNNING) if core else None,
        ),
        ros=RosInfo(
            distro=_ros_distro(),
            rmw_implementation=os.environ.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp"),
            domain_id=int(os.environ.get("ROS_DOMAIN_ID", "0") or 0),
            node_name=bridge.ros.node_name if bridge.ros is not None else "",
        ),
    )
