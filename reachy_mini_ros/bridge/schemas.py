"""Request and response models of the HTTP API; they make the OpenAPI schema complete."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict
from pydantic_core import PydanticCustomError

from reachy_mini_ros.interface.joints import (
    HEAD_PITCH_LIMIT,
    HEAD_ROLL_LIMIT,
    HEAD_TRANSLATION_LIMIT,
    HEAD_YAW_LIMIT,
    JOINTS_BY_NAME,
    MOTOR_JOINTS,
)
from reachy_mini_ros.interface.moves import MAX_DURATION_S


class ErrorResponse(BaseModel):
    """Body of every error answer."""

    error: str = Field(description="Machine-readable code, e.g. out_of_limits, unauthorized.")
    message: str
    timestamp: float = Field(description="UNIX time in seconds.")
    detail: list[dict[str, object]] | None = Field(
        default=None, description="Validation errors, for 422 answers."
    )


class HealthComponents(BaseModel):
    """Health of each component: true while it works."""

    database: bool
    rust_bindings: bool = Field(description="The hardware node's Rust core reports OK.")
    api_server: bool
    websocket: bool
    scheduler: bool
    ros: bool = Field(description="/joint_states and /diagnostics arrive.")


class HealthConfig(BaseModel):
    """The address the server listens on."""

    api_host: str
    api_port: int
    debug: bool


class HealthResponse(BaseModel):
    """Overall health: unhealthy when a critical component (ros, api_server) is down."""

    status: Literal["healthy", "degraded", "unhealthy"]
    timestamp: float
    components: HealthComponents
    config: HealthConfig


class ComponentDetail(BaseModel):
    """What the service manager knows about one component."""

    healthy: bool
    state: Literal["stopped", "starting", "running", "failed"]
    critical: bool
    uptime_s: float | None
    start_duration_s: float | None
    restarts: int
    last_error: str | None


class StatsModel(BaseModel):
    """Process statistics."""

    requests_count: int
    active_connections: int = Field(description="Connected WebSocket clients.")
    memory_usage: float = Field(description="Resident set size in MiB.")
    cpu_percent: float


class DiagnosticsSummary(BaseModel):
    """Number of latest diagnostic statuses at each level."""

    ok: int
    warn: int
    error: int
    stale: int


class RobotSummary(BaseModel):
    """How fresh the robot's data is."""

    joint_state_age_s: float | None
    joint_state_rate_hz: float
    diagnostics_age_s: float | None
    diagnostics: DiagnosticsSummary


class SystemStatus(BaseModel):
    """Live state of the bridge and the robot."""

    running: bool
    uptime: float
    components: dict[str, bool]
    component_details: dict[str, ComponentDetail]
    config: HealthConfig
    stats: StatsModel
    robot: RobotSummary


class ConfigInfo(BaseModel):
    """The bridge's settings, without secrets."""

    api_host: str
    api_port: int
    debug: bool
    database_url: str = Field(description="With the password replaced by ***.")
    cors_origins: list[str]
    health_check_interval: float
    web_dist: str
    data_dir: str
    max_rate_hz: float
    token_source: str = Field(description="Where the API token comes from; never the token.")


class PythonInfo(BaseModel):
    """The interpreter running the bridge."""

    version: str
    implementation: str


class PlatformInfo(BaseModel):
    """The machine running the bridge."""

    system: str
    release: str
    machine: str
    platform: str


class RustCoreInfo(BaseModel):
    """The Rust core as the hardware node reports it on /diagnostics."""

    available: bool
    version: str | None
    backend: str | None
    loop_running: str | None


class RosInfo(BaseModel):
    """The ROS 2 environment."""

    distro: str | None
    rmw_implementation: str
    domain_id: int
    node_name: str


class SystemInfo(BaseModel):
    """Configuration and environment of the bridge."""

    config: ConfigInfo
    python: PythonInfo
    platform: PlatformInfo
    rust_core: RustCoreInfo
    ros: RosInfo


class JointReading(BaseModel):
    """One joint of a /joint_states message."""

    name: str
    position: float | None
    velocity: float | None
    effort: float | None


class JointsResponse(BaseModel):
    """The latest /joint_states message."""

    stamp: float
    seq: int
    age_s: float
    rate_hz: float
    joints: list[JointReading]


class DiagnosticStatusModel(BaseModel):
    """One diagnostic status (REP-107 level: 0 OK, 1 WARN, 2 ERROR, 3 STALE)."""

    name: str
    level: int
    message: str
    hardware_id: str
    values: dict[str, str]
    age_s: float


class DiagnosticsResponse(BaseModel):
    """The latest status of every name seen on /diagnostics."""

    stamp: float | None
    age_s: float | None
    summary: DiagnosticsSummary
    statuses: list[DiagnosticStatusModel]


class EventModel(BaseModel):
    """One recorded event."""

    id: int
    time: float
    level: int
    source: str
    kind: str
    message: str
    details: dict[str, object]


class EventsPage(BaseModel):
    """One page of events, newest first."""

    items: list[EventModel]
    total: int
    limit: int
    offset: int


class TelemetryPointModel(BaseModel):
    """Aggregates of one joint's position over one window."""

    start: float
    end: float
    count: int
    mean: float
    min: float
    max: float
    last: float


class TelemetryResponse(BaseModel):
    """Downsampled position history by joint."""

    joints: dict[str, list[TelemetryPointModel]]


def _within(limit: float) -> JsonDict:
    """Return the schema bounds ±limit, which check_head_pose enforces (400 out_of_limits)."""
    return {"minimum": -limit, "maximum": limit}


class CommandModel(BaseModel):
    """The body of a command: exactly its fields, with their JSON types (no "yes" for true)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _joint_map(min_properties: int) -> JsonDict:
    """Return the schema of {motor joint: rad} that check_joint_goals enforces.

    It answers 400 out_of_limits; the schema states the names and limits so that clients and
    generated requests know them.
    """
    return {
        "properties": {
            joint.name: {"type": "number", "minimum": joint.lower, "maximum": joint.upper}
            for joint in MOTOR_JOINTS
        },
        "additionalProperties": False,
        "minProperties": min_properties,
    }


def _joint_range(name: str) -> JsonDict:
    joint = JOINTS_BY_NAME[name]
    return {"minimum": joint.lower, "maximum": joint.upper}


class JointCommand(CommandModel):
    """Goal positions in rad by URDF joint name."""

    goals: dict[str, float] = Field(
        examples=[{"right_antenna": 0.5, "left_antenna": -0.5}],
        description="At least one motor joint; each goal within the joint's limits.",
        json_schema_extra=_joint_map(1),
    )


class HeadPoseCommand(CommandModel):
    """Head pose goal in the robot's base frame, zeros = the neutral head (m and rad).

    Every axis is required: a missing one would have to mean something (zero moves the head),
    so a partial pose is refused. As the vendor's: the pose does not turn with the body, so a
    yaw of 0.5 over a body yaw of 0.5 is the neutral head over the body.
    """

    x: float = Field(json_schema_extra=_within(HEAD_TRANSLATION_LIMIT))
    y: float = Field(json_schema_extra=_within(HEAD_TRANSLATION_LIMIT))
    z: float = Field(json_schema_extra=_within(HEAD_TRANSLATION_LIMIT))
    roll: float = Field(json_schema_extra=_within(HEAD_ROLL_LIMIT))
    pitch: float = Field(json_schema_extra=_within(HEAD_PITCH_LIMIT))
    yaw: float = Field(
        description="In the base frame; it must stay within ±65° of the present body yaw.",
        json_schema_extra=_within(HEAD_YAW_LIMIT),
    )


class TorqueCommand(CommandModel):
    """Turn the motors' torque on or off."""

    enabled: bool


Interpolation = Literal["linear", "minjerk", "ease_in_out", "cartoon"]
# The bounds are stated on the value, not on the field, whose schema also allows null.
Antennas = Annotated[
    list[float],
    Field(
        min_length=2,
        max_length=2,
        json_schema_extra={"items": {"type": "number", **_joint_range("right_antenna")}},
    ),
]
BodyYaw = Annotated[float, Field(json_schema_extra=_joint_range("yaw_body"))]
JointGoals = Annotated[dict[str, float], Field(json_schema_extra=_joint_map(0))]


class GotoCommand(CommandModel):
    """Move smoothly to a target in `duration` seconds; the hardware node checks the whole path.

    Any subset of head pose, antennas, body yaw and joint positions, at least one; what is
    not given stays where it is. A goto cancels the move that runs.
    """

    head: HeadPoseCommand | None = Field(
        default=None, description="Head pose in the base frame (all six axes), or null."
    )
    antennas: Antennas | None = Field(default=None, description="[right, left] in rad, or null.")
    body_yaw: BodyYaw | None = Field(default=None, description="rad, or null.")
    joints: JointGoals | None = Field(
        default=None, description="Motor joint positions in rad by URDF joint name, or null."
    )
    duration: float = Field(
        gt=0.0,
        le=MAX_DURATION_S,
        allow_inf_nan=False,
        description=f"Seconds, in (0, {MAX_DURATION_S:g}].",
    )
    interpolation: Interpolation = Field(
        default="minjerk", description="The time warp of the path."
    )

    @model_validator(mode="after")
    def _has_a_target(self) -> GotoCommand:
        if (
            self.head is None
            and self.antennas is None
            and self.body_yaw is None
            and not self.joints
        ):
            raise PydanticCustomError(
                "missing_target", "a goto needs a target: head, antennas, body_yaw or joints"
            )
        return self


class NoArgs(CommandModel):
    """A command without arguments: an empty object, or no body at all."""


MotorMode = Literal["enabled", "disabled", "gravity_compensation"]


class MotorModeCommand(CommandModel):
    """Set the motors' mode: enabled (torque on), disabled (torque off).

    gravity_compensation is refused (409): the head's XL330 motors are position-controlled and
    no dynamic model of the head exists to compute the torques that would hold it.
    """

    mode: MotorMode


class CommandResult(BaseModel):
    """Outcome of a command that passed validation."""

    ok: bool
    command: str
    message: str


class MoveCommandResult(BaseModel):
    """Outcome of a move command that passed validation: the move it started or stopped."""

    ok: bool
    command: str
    move_id: str | None = Field(
        description="The move started (goto, wake_up, goto_sleep) or stopped; null if none."
    )
    message: str


class RunningMoveModel(BaseModel):
    """A move that has started and not ended, as the hardware node's move events tell."""

    move_id: str
    kind: str = Field(description="goto, wake_up, goto_sleep, joint_trajectory, head_trajectory.")
    started: float = Field(description="UNIX time in seconds (the robot's clock).")
    duration: float = Field(description="Seconds.")
    elapsed: float = Field(description="Seconds since the start, on the bridge's clock.")
