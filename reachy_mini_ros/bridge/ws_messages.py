"""Model every message of the WebSocket protocol (docs/websocket.md), in both directions.

The hub parses client messages and builds its replies with these models; web/ws-schema.json
is printed from them (`python -m reachy_mini_ros.bridge.ws_schema`). The joint_states,
diagnostics and events frames are still built as plain dicts where they are produced (up to
200 joint frames a second, serialised once with orjson): their models describe those frames,
and the bridge tests check real frames against the schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag
from typing_extensions import TypeAliasType

from reachy_mini_ros.bridge.schemas import (
    GotoCommand,
    HeadPoseCommand,
    JointCommand,
    MotorModeCommand,
    NoArgs,
    TorqueCommand,
)

PROTOCOL_VERSION: Literal[1] = 1
# Named aliases become named definitions of the schema, and named types of the dashboard.
Channel = TypeAliasType("Channel", Literal["joint_states", "diagnostics", "events", "moves"])
CHANNELS: tuple[Channel, ...] = ("joint_states", "diagnostics", "events", "moves")
# Channels whose every frame is news (an event, a move's start or end): not kept for
# clients that subscribe later.
NEWS_CHANNELS: frozenset[Channel] = frozenset({"events", "moves"})
DEFAULT_RATE_HZ = 30.0

# Echoed as sent in pong and command_result; JSON numbers are ints or floats.
MessageId = TypeAliasType("MessageId", str | int | float | None)
RateHz = Annotated[float, Field(gt=0, allow_inf_nan=False, description="Frames per second.")]
# REP-107 levels: 0 OK, 1 WARN, 2 ERROR, 3 STALE.
Level = Annotated[int, Field(description="REP-107 level: 0 OK, 1 WARN, 2 ERROR, 3 STALE.")]
# JSON has no NaN: a reading that is NaN or infinite arrives as null.
Reading = float | None

ErrorCode = TypeAliasType(
    "ErrorCode",
    Literal[
        "invalid_json",
        "invalid_message",
        "message_too_large",
        "invalid_subscription",
        "unknown_type",
    ],
)
CommandErrorCode = TypeAliasType(
    "CommandErrorCode",
    Literal[
        "unauthorized",
        "unknown_command",
        "validation_error",
        "out_of_limits",
        "service_unavailable",
        "timeout",
        "refused",
        "move_running",
        "ros_unavailable",
    ],
)
MoveKind = TypeAliasType(
    "MoveKind",
    Literal["goto", "wake_up", "goto_sleep", "joint_trajectory", "head_trajectory"],
)
MoveEventName = TypeAliasType(
    "MoveEventName", Literal["started", "completed", "cancelled", "failed"]
)


class ServerModel(BaseModel):
    """A message or part of one that the server sends: exactly these fields, all present."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class ClientModel(BaseModel):
    """A message that a client sends; JSON types are taken as they are, never coerced."""

    model_config = ConfigDict(strict=True)


# -- server → client ------------------------------------------------------------------------


class HelloMessage(ServerModel):
    """Sent right after the handshake."""

    type: Literal["hello"] = "hello"
    protocol: Literal[1] = PROTOCOL_VERSION
    server: Literal["reachy_mini"] = "reachy_mini"
    channels: list[Channel]
    max_rate_hz: float = Field(description="The hardware loop rate; every rate is capped at it.")


class JointStatesData(ServerModel):
    """One /joint_states message; the three lists follow `name` (or are empty)."""

    stamp: float = Field(description="UNIX time in seconds.")
    seq: int = Field(description="Counts the samples the bridge received.")
    name: list[str]
    position: list[Reading] = Field(description="rad (m for head_x/y/z); null where NaN.")
    velocity: list[Reading] = Field(description="rad/s; null where NaN.")
    effort: list[Reading] = Field(description="null where NaN.")


class JointStatesMessage(ServerModel):
    """The latest joint states, at the subscribed rate."""

    type: Literal["joint_states"]
    data: JointStatesData


class DiagnosticStatusData(ServerModel):
    """One status of a /diagnostics array."""

    name: str
    level: Level
    message: str
    hardware_id: str
    values: dict[str, str]


class DiagnosticsData(ServerModel):
    """One /diagnostics array, with only its publisher's statuses."""

    stamp: float = Field(description="UNIX time in seconds.")
    status: list[DiagnosticStatusData]


class DiagnosticsMessage(ServerModel):
    """A /diagnostics array, at most at the subscribed rate."""

    type: Literal["diagnostics"]
    data: DiagnosticsData


class EventData(ServerModel):
    """One event, as the audit log records it."""

    time: float = Field(description="UNIX time in seconds.")
    level: Level
    source: str
    kind: str
    message: str
    details: dict[str, Any]


class EventsMessage(ServerModel):
    """An event, as it happens."""

    type: Literal["events"]
    data: EventData


class MoveEventData(ServerModel):
    """One move's start or end, as the hardware node reported it."""

    move_id: str
    kind: MoveKind
    event: MoveEventName
    reason: str = Field(description="Why it was cancelled or failed; empty otherwise.")
    duration: float = Field(description="The move's duration in seconds.")
    time: float = Field(description="UNIX time in seconds (the robot's clock).")


class MovesMessage(ServerModel):
    """A move started or ended; every one is sent, none replaced by the next."""

    type: Literal["moves"]
    data: MoveEventData


class SubscribedMessage(ServerModel):
    """The effective subscriptions, after subscribe or unsubscribe."""

    type: Literal["subscribed"] = "subscribed"
    channels: dict[Channel, float] = Field(description="Rate in Hz of each subscribed channel.")


class CommandResultMessage(ServerModel):
    """The outcome of a command, as the matching POST /api/commands/... would answer."""

    type: Literal["command_result"] = "command_result"
    id: MessageId = Field(description="The command's id.")
    ok: bool
    error: CommandErrorCode | None = Field(description="null when ok.")
    message: str
    move_id: str | None = Field(
        default=None,
        description="The move a goto, wake_up or goto_sleep started, or stop stopped; else null.",
    )


class ErrorMessage(ServerModel):
    """The answer to a message the server could not take; the connection stays open."""

    type: Literal["error"] = "error"
    error: ErrorCode
    message: str


class StaleMessage(ServerModel):
    """A channel's stream stopped (stale true) or came back (stale false)."""

    type: Literal["stale"] = "stale"
    channel: Channel
    stale: bool = Field(description="True: no sample for stale_after_s; false: samples again.")
    age_s: float | None = Field(
        description="Seconds since the last sample; null when none has arrived yet."
    )
    stale_after_s: float = Field(description="Silence after which the channel is stale.")


class PongMessage(ServerModel):
    """The answer to a ping."""

    type: Literal["pong"] = "pong"
    id: MessageId = Field(description="The ping's id.")


ServerMessage = Annotated[
    HelloMessage
    | JointStatesMessage
    | DiagnosticsMessage
    | EventsMessage
    | MovesMessage
    | SubscribedMessage
    | CommandResultMessage
    | ErrorMessage
    | StaleMessage
    | PongMessage,
    Field(discriminator="type"),
]


# -- client → server ------------------------------------------------------------------------


def _channels_form(value: Any) -> str | None:
    """Tell which form of `channels` a subscribe message uses, so errors name only that one."""
    if isinstance(value, list):
        return "names"
    if isinstance(value, dict):
        return "rates"
    return None


# Union tags pydantic puts in the location of an error (the forms of `channels`, the types
# of an id); they are not fields of the message.
UNION_TAGS = frozenset({"names", "rates", "str", "int", "float"})


class SubscribeMessage(ClientModel):
    """Push channels, each at most at its rate (capped at the loop rate)."""

    type: Literal["subscribe"]
    channels: Annotated[
        Annotated[list[Channel], Tag("names")] | Annotated[dict[Channel, RateHz], Tag("rates")],
        Discriminator(
            _channels_form,
            custom_error_type="channels_form",
            custom_error_message="must be a list of names or an object {name: rate_hz}",
        ),
    ] = Field(description="Names (each at rate_hz) or {name: rate_hz}.")
    rate_hz: RateHz = DEFAULT_RATE_HZ


class UnsubscribeMessage(ClientModel):
    """Stop pushing channels."""

    type: Literal["unsubscribe"]
    channels: list[Channel]


class PingMessage(ClientModel):
    """Ask for a pong."""

    type: Literal["ping"]
    id: MessageId = None


class CommandMessageBase(ClientModel):
    """A command, carried out as the matching POST /api/commands/... with the API token."""

    type: Literal["command"]
    id: MessageId = Field(default=None, description="Echoed in the command_result.")
    token: str = Field(description="The API token; without it the result is unauthorized.")


class JointsCommandMessage(CommandMessageBase):
    """Joint goals, as POST /api/commands/joints."""

    command: Literal["joints"]
    args: JointCommand


class HeadPoseCommandMessage(CommandMessageBase):
    """A head pose, as POST /api/commands/head_pose."""

    command: Literal["head_pose"]
    args: HeadPoseCommand


class TorqueCommandMessage(CommandMessageBase):
    """Torque on or off, as POST /api/commands/torque."""

    command: Literal["torque"]
    args: TorqueCommand


class GotoCommandMessage(CommandMessageBase):
    """A goto, as POST /api/commands/goto; the command_result carries its move_id."""

    command: Literal["goto"]
    args: GotoCommand


class StopCommandMessage(CommandMessageBase):
    """Stop the running move, as POST /api/commands/stop."""

    command: Literal["stop"]
    args: NoArgs = Field(default_factory=NoArgs, description="Nothing: {} or left out.")


class WakeUpCommandMessage(CommandMessageBase):
    """The wake up move, as POST /api/commands/wake_up."""

    command: Literal["wake_up"]
    args: NoArgs = Field(default_factory=NoArgs, description="Nothing: {} or left out.")


class GotoSleepCommandMessage(CommandMessageBase):
    """The sleep move, as POST /api/commands/goto_sleep."""

    command: Literal["goto_sleep"]
    args: NoArgs = Field(default_factory=NoArgs, description="Nothing: {} or left out.")


class MotorModeCommandMessage(CommandMessageBase):
    """The motors' mode, as POST /api/commands/motor_mode."""

    command: Literal["motor_mode"]
    args: MotorModeCommand


CommandMessage = Annotated[
    JointsCommandMessage
    | HeadPoseCommandMessage
    | TorqueCommandMessage
    | GotoCommandMessage
    | StopCommandMessage
    | WakeUpCommandMessage
    | GotoSleepCommandMessage
    | MotorModeCommandMessage,
    Field(discriminator="command"),
]

ClientMessage = Annotated[
    SubscribeMessage | UnsubscribeMessage | CommandMessage | PingMessage,
    Field(discriminator="type"),
]
