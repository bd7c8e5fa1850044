"""Read the messages an app SDK sends on /ws/sdk: one model per command type.

Fields are taken with their JSON types (a number for a number, a boolean for a boolean) and
fields the bridge does not use are ignored, as the SDK's own daemon does. Lengths (16 numbers
for a head matrix, 2 for the antennas, 7 for the head joints) are checked by the handlers,
which say which one is wrong.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class SdkMessage(BaseModel):
    """A client message: strict types, extra fields ignored."""

    model_config = ConfigDict(extra="ignore", strict=True)


class NoFields(SdkMessage):
    """start_recording, stop_recording, wake_up, goto_sleep, stop_move."""


class SetFullTarget(SdkMessage):
    """Head (16 numbers, row-major 4×4), antennas [right, left] and body yaw, any of them."""

    head: list[float] | None = None
    antennas: list[float] | None = None
    body_yaw: float | None = None


class SetTarget(SdkMessage):
    """The head only."""

    head: list[float]


class SetAntennas(SdkMessage):
    """The antennas only, [right, left]."""

    antennas: list[float]


class SetBodyYaw(SdkMessage):
    """The body yaw only."""

    body_yaw: float


class SetHeadJoints(SdkMessage):
    """[body_yaw, stewart_1 … stewart_6]."""

    joints: list[float]


class GotoTarget(SdkMessage):
    """A goto without a task id."""

    head: list[float] | None = None
    antennas: list[float] | None = None
    duration: float = 0.5
    body_yaw: float | None = None


class GotoTaskRequest(SdkMessage):
    """The request of a `task`: a goto."""

    head: list[float] | None = None
    antennas: list[float] | None = None
    duration: float
    method: str = "minjerk"
    body_yaw: float | None = None


class Task(SdkMessage):
    """A task with its id; its request is read by the handler (a goto, or a named move)."""

    uuid: str
    req: dict[str, Any]


class SetTorque(SdkMessage):
    """Torque on or off for the named motors (null: all)."""

    on: bool
    ids: list[str] | None = None


class SetMotorMode(SdkMessage):
    """enabled, disabled or gravity_compensation."""

    mode: str


class Enabled(SdkMessage):
    """set_automatic_body_yaw, set_gravity_compensation."""

    enabled: bool


class AppendRecord(SdkMessage):
    """One record for the connection's recording."""

    record: dict[str, Any]


MODELS: dict[str, type[SdkMessage]] = {
    "set_full_target": SetFullTarget,
    "set_target": SetTarget,
    "set_antennas": SetAntennas,
    "set_body_yaw": SetBodyYaw,
    "set_head_joints": SetHeadJoints,
    "goto_target": GotoTarget,
    "task": Task,
    "set_torque": SetTorque,
    "set_motor_mode": SetMotorMode,
    "set_automatic_body_yaw": Enabled,
    "set_gravity_compensation": Enabled,
    "start_recording": NoFields,
    "append_record": AppendRecord,
    "stop_recording": NoFields,
    "wake_up": NoFields,
    "goto_sleep": NoFields,
    "stop_move": NoFields,
}
