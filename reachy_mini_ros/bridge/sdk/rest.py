"""The REST routes and state WebSockets of the vendor's daemon, served from the ROS graph.

Apps written against the vendor's SDK call these paths (``/api/daemon``, ``/api/state``,
``/api/motors``, ``/api/move``, ``/api/kinematics``, ``/api/media/release``) and read these
shapes. Every command goes through the bridge's own command path (bridge/commands.py): the
same limit checks, the hardware node's checks of the whole path, and the audit log, with the
source ``sdk``. Nothing here reaches a motor in another way.

The surface has no token (the vendor's SDK sends none): every route and WebSocket is behind
the trust rule of trust.py. Errors are answered as the vendor's daemon answers them,
``{"detail": message}``, except a malformed body (422), which keeps the bridge's shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    Query,
    Request,
    Response,
    WebSocket,
    WebSocketDisconnect,
    WebSocketException,
    status,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import HTTPConnection

from reachy_mini_ros.bridge import commands
from reachy_mini_ros.bridge.deps import BridgeDep, bridge_of
from reachy_mini_ros.bridge.errors import ReachyMiniError
from reachy_mini_ros.bridge.motion import MoveEvent
from reachy_mini_ros.bridge.runtime import Bridge
from reachy_mini_ros.bridge.schemas import GotoCommand, HeadPoseCommand, JointCommand
from reachy_mini_ros.bridge.sdk import shapes
from reachy_mini_ros.bridge.sdk.trust import refusal
from reachy_mini_ros.interface import moves
from reachy_mini_ros.interface.share import share_dir

SOURCE = "sdk"
BACKEND_NOT_RUNNING = "Backend not running"
# Highest rate of /api/state/ws/full: the loop's rate.
MAX_STATE_FREQUENCY_HZ = 200.0
# A move id that is not a UUID (a move started by another ROS client) gets this stable UUID.
MOVE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:reachy-mini-ros:move")
KINEMATICS_ENGINE = "reachy_mini_core_rs analytical (Stewart platform, Rust)"
MOVE_EVENT_TYPES = {
    moves.STARTED: "move_started",
    moves.COMPLETED: "move_completed",
    moves.FAILED: "move_failed",
    moves.CANCELLED: "move_cancelled",
}
# Move events waiting for a slow /api/move/ws/updates client; the oldest are dropped.
MOVE_QUEUE_DEPTH = 64


class VendorError(BaseModel):
    """An error, in the vendor daemon's shape."""

    detail: str


class SdkHTTPError(Exception):
    """An error answered as the vendor's daemon does: ``{"detail": message}``."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail

    def response(self) -> JSONResponse:
        """Return the answer."""
        return JSONResponse({"detail": self.detail}, status_code=self.status_code)


def _refusal_of(connection: HTTPConnection) -> tuple[int, str] | None:
    """Return the status and reason for which the trust rule refuses connection, or None."""
    bridge = bridge_of(connection)
    host = connection.headers.get("host")
    origin = connection.headers.get("origin")
    peer = connection.client.host if connection.client is not None else None
    reason = refusal(host, origin, peer, bridge.config.sdk_trusted_networks)
    if reason is None:
        # One Host and one Origin at most: which of two the proxy would read is not known.
        if len(connection.headers.getlist("host")) > 1 or (
            len(connection.headers.getlist("origin")) > 1
        ):
            return status.HTTP_400_BAD_REQUEST, "duplicate Host or Origin header"
        return None
    if reason.startswith("untrusted Host"):
        return status.HTTP_400_BAD_REQUEST, reason
    return status.HTTP_403_FORBIDDEN, reason


class TrustedRoute(APIRoute):
    """A route behind the trust rule, checked before the body is read; vendor-shaped errors."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return the route's handler, behind the trust rule."""
        handler = super().get_route_handler()

        async def trusted(request: Request) -> Response:
            refused = _refusal_of(request)
            if refused is not None:
                return JSONResponse({"detail": refused[1]}, status_code=refused[0])
            try:
                return await handler(request)
            except SdkHTTPError as exc:
                return exc.response()

        return trusted


async def ws_trusted(websocket: WebSocket) -> None:
    """Refuse the handshake (403) of a WebSocket the trust rule refuses."""
    refused = _refusal_of(websocket)
    if refused is not None:
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason=refused[1])


def backend_ready(bridge: Bridge) -> bool:
    """Return True when the hardware node runs its loop and its joint states are fresh."""
    ready = shapes.daemon_status(bridge)["backend_status"]["ready"]
    return bool(ready) and bridge.ros is not None


async def get_backend(request: Request) -> Bridge:
    """Return the bridge once the hardware node is ready; else answer 503 as the vendor."""
    bridge = bridge_of(request)
    if not backend_ready(bridge):
        raise SdkHTTPError(status.HTTP_503_SERVICE_UNAVAILABLE, BACKEND_NOT_RUNNING)
    return bridge


BackendDep = Annotated[Bridge, Depends(get_backend)]


@contextlib.contextmanager
def vendor_errors() -> Iterator[None]:
    """Answer the bridge's command errors as the vendor's daemon answers errors."""
    try:
        yield
    except ReachyMiniError as exc:
        raise SdkHTTPError(exc.status_code, exc.message) from exc
    except shapes.StateUnavailableError as exc:
        raise SdkHTTPError(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc


def _validation_error(exc: ValidationError | ValueError, where: tuple[str, ...]) -> Exception:
    """Return a 422 in the bridge's validation shape for a body the command path refused."""
    if isinstance(exc, ValidationError):
        errors = [
            {**e, "loc": ("body", *where, *e["loc"])}
            for e in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
    else:
        errors = [{"type": "value_error", "loc": ("body", *where), "msg": str(exc)}]
    return RequestValidationError(errors)


# -- models: the vendor's shapes, strict where the vendor's are (an unknown field is refused) --

Number = Annotated[float, Field(allow_inf_nan=False)]


class XYZRPYPose(BaseModel):
    """A pose as position (m) and xyz extrinsic Euler angles (rad); a missing axis is 0."""

    model_config = ConfigDict(extra="forbid", strict=True)

    x: Number = 0.0
    y: Number = 0.0
    z: Number = 0.0
    roll: Number = 0.0
    pitch: Number = 0.0
    yaw: Number = 0.0


class Matrix4x4Pose(BaseModel):
    """A pose as its 4×4 homogeneous transform, row-major (translation in metres)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    m: Annotated[list[Number], Field(min_length=16, max_length=16)]


AnyPose = XYZRPYPose | Matrix4x4Pose


class MotorControlMode(StrEnum):
    """The motors' modes of the vendor's protocol."""

    enabled = "enabled"
    disabled = "disabled"
    gravity_compensation = "gravity_compensation"


class FullState(BaseModel):
    """The robot's state; what was not asked for (or is not measured) is null."""

    control_mode: MotorControlMode | None = None
    head_pose: AnyPose | None = None
    head_joints: list[float] | None = None
    body_yaw: float | None = None
    antennas_position: list[float] | None = None
    timestamp: datetime | None = None
    passive_joints: list[float] | None = None
    doa: dict[str, Any] | None = None
    imu: dict[str, Any] | None = None


class MotorStatus(BaseModel):
    """The motors' mode."""

    mode: MotorControlMode


class StatusReply(BaseModel):
    """A command's answer."""

    status: str


class MessageReply(BaseModel):
    """A stop's answer."""

    message: str


class SetTargetReply(BaseModel):
    """A streamed target's answer: ok, or ignored with why."""

    status: Literal["ok", "ignored"]
    reason: str | None = Field(default=None, description="move_running when ignored.")


class MoveUUID(BaseModel):
    """A move's id."""

    uuid: uuid.UUID


class GotoModelRequest(BaseModel):
    """A goto: head pose, antennas [right, left] and body yaw (null: keeps), in duration s."""

    model_config = ConfigDict(extra="forbid", strict=True)

    head_pose: AnyPose | None = None
    antennas: Annotated[list[Number], Field(min_length=2, max_length=2)] | None = None
    body_yaw: Number | None = None
    duration: Number
    interpolation: Literal["linear", "minjerk", "ease_in_out", "cartoon"] = "minjerk"


class FullBodyTarget(BaseModel):
    """A streamed target: any of head pose, antennas [right, left] and body yaw."""

    model_config = ConfigDict(extra="forbid", strict=True)

    target_head_pose: AnyPose | None = None
    target_antennas: Annotated[list[Number], Field(min_length=2, max_length=2)] | None = None
    target_body_yaw: Number | None = None
    timestamp: datetime | None = None


# -- conversions ------------------------------------------------------------------------------


def move_uuid(move_id: str) -> uuid.UUID:
    """Return the UUID of a move: its id when that is one, else a stable UUID of the id."""
    try:
        return uuid.UUID(move_id)
    except ValueError:
        return uuid.uuid5(MOVE_NAMESPACE, move_id)


def head_pose_fields(pose: AnyPose) -> dict[str, float]:
    """Return {x, y, z, roll, pitch, yaw} of a pose given either way; ValueError if not rigid."""
    if isinstance(pose, Matrix4x4Pose):
        return shapes.matrix_pose(pose.m)
    return pose.model_dump()


def present_pose(bridge: Bridge, use_pose_matrix: bool) -> AnyPose:
    """Return the present head pose, as a matrix or as position and Euler angles."""
    matrix = shapes.head_pose_matrix(bridge)
    flat = [v for row in matrix for v in row]
    if use_pose_matrix:
        return Matrix4x4Pose(m=flat)
    return XYZRPYPose(**shapes.matrix_pose(flat))


def full_state(
    bridge: Bridge,
    *,
    with_control_mode: bool = True,
    with_head_pose: bool = True,
    with_head_joints: bool = False,
    with_body_yaw: bool = True,
    with_antenna_positions: bool = True,
    use_pose_matrix: bool = False,
) -> FullState:
    """Return the present state with the fields asked for."""
    state = FullState(timestamp=datetime.now(UTC))
    if with_control_mode:
        state.control_mode = MotorControlMode(shapes.motor_control_mode(bridge))
    if with_head_pose:
        state.head_pose = present_pose(bridge, use_pose_matrix)
    head_joints = shapes.head_joint_positions(bridge)
    if with_head_joints:
        state.head_joints = head_joints
    if with_body_yaw:
        state.body_yaw = head_joints[0]
    if with_antenna_positions:
        state.antennas_position = shapes.antenna_positions(bridge)
    return state


# -- move events for /api/move/ws/updates --------------------------------------------------


class MoveFeed:
    """Pass the bridge's move events (ROS thread) to the WebSocket clients (event loop)."""

    def __init__(self) -> None:
        self._queues: dict[asyncio.Queue[dict[str, Any]], asyncio.AbstractEventLoop] = {}

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        """Return a queue that gets every move event from now on."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(MOVE_QUEUE_DEPTH)
        self._queues[queue] = asyncio.get_running_loop()
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        """Stop feeding queue."""
        self._queues.pop(queue, None)

    def on_event(self, event: MoveEvent) -> None:
        """Take one move event, from any thread."""
        message = {
            "type": MOVE_EVENT_TYPES[event.event],
            "uuid": str(move_uuid(event.move_id)),
            "details": event.reason,
        }
        for queue, loop in list(self._queues.items()):
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(_offer, queue, message)


def _offer(queue: asyncio.Queue[dict[str, Any]], message: dict[str, Any]) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(message)


def move_feed(bridge: Bridge) -> MoveFeed:
    """Return the bridge's move feed, created and hooked to its move events at first use."""
    feed: MoveFeed | None = getattr(bridge, "sdk_move_feed", None)
    if feed is None:
        feed = MoveFeed()
        bridge.sdk_move_feed = feed  # type: ignore[attr-defined]
        bridge.move_listeners.append(feed.on_event)
    return feed


# -- routes -------------------------------------------------------------------------------------

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": VendorError, "description": "Untrusted Host header."},
    403: {"model": VendorError, "description": "A peer or Origin the trust rule refuses."},
}
BACKEND_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    503: {"model": VendorError, "description": "Backend not running: no ready hardware node."},
}
COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    **BACKEND_ERRORS,
    400: {
        "model": VendorError,
        "description": "Untrusted Host header; or refused: out of limits, or by the hardware "
        "node, with why.",
    },
    409: {"model": VendorError, "description": "Refused by the hardware node, with why."},
    504: {"model": VendorError, "description": "The hardware node did not answer in time."},
}

router = APIRouter(prefix="/api", tags=["vendor sdk"], route_class=TrustedRoute)
ws_router = APIRouter(prefix="/api", dependencies=[Depends(ws_trusted)])

Flag = Annotated[bool, Query()]


@router.get("/daemon/status", responses=ERRORS)
async def daemon_status(bridge: BridgeDep) -> dict[str, Any]:
    """Return the daemon's status in the vendor's shape (DaemonStatus)."""
    return shapes.daemon_status(bridge)


@router.get("/state/full", response_model=FullState, responses=BACKEND_ERRORS)
async def get_full_state(
    bridge: BackendDep,
    with_control_mode: Flag = True,
    with_head_pose: Flag = True,
    with_target_head_pose: Flag = False,
    with_head_joints: Flag = False,
    with_target_head_joints: Flag = False,
    with_body_yaw: Flag = True,
    with_target_body_yaw: Flag = False,
    with_antenna_positions: Flag = True,
    with_target_antenna_positions: Flag = False,
    with_passive_joints: Flag = False,
    with_doa: Flag = False,
    with_imu: Flag = False,
    use_pose_matrix: Flag = False,
) -> FullState:
    """Return the present state; targets, passive joints, DoA and IMU are not measured: null."""
    with vendor_errors():
        return full_state(
            bridge,
            with_control_mode=with_control_mode,
            with_head_pose=with_head_pose,
            with_head_joints=with_head_joints,
            with_body_yaw=with_body_yaw,
            with_antenna_positions=with_antenna_positions,
            use_pose_matrix=use_pose_matrix,
        )


@router.get("/state/present_head_pose", response_model=AnyPose, responses=BACKEND_ERRORS)
async def get_head_pose(bridge: BackendDep, use_pose_matrix: Flag = False) -> AnyPose:
    """Return the present head pose in the base frame."""
    with vendor_errors():
        return present_pose(bridge, use_pose_matrix)


@router.get("/state/present_body_yaw", responses=BACKEND_ERRORS)
async def get_body_yaw(bridge: BackendDep) -> float:
    """Return the present body yaw (rad)."""
    with vendor_errors():
        return shapes.head_joint_positions(bridge)[0]


@router.get("/state/present_antenna_joint_positions", responses=BACKEND_ERRORS)
async def get_antenna_joint_positions(bridge: BackendDep) -> tuple[float, float]:
    """Return the present antenna positions [right, left] (rad)."""
    with vendor_errors():
        right, left = shapes.antenna_positions(bridge)
    return (right, left)


@router.get("/motors/status", response_model=MotorStatus, responses=BACKEND_ERRORS)
async def get_motor_status(bridge: BackendDep) -> MotorStatus:
    """Return the motors' mode: enabled when every motor holds torque, else disabled."""
    return MotorStatus(mode=MotorControlMode(shapes.motor_control_mode(bridge)))


@router.post("/motors/set_mode/{mode}", response_model=StatusReply, responses=COMMAND_ERRORS)
async def set_motor_mode(bridge: BackendDep, mode: MotorControlMode) -> StatusReply:
    """Turn torque on (enabled) or off (disabled); gravity_compensation is refused (409)."""
    from reachy_mini_ros.bridge.schemas import MotorModeCommand

    with vendor_errors():
        await commands.command_motor_mode(bridge, MotorModeCommand(mode=mode.value), SOURCE)
    return StatusReply(status=f"motors changed to {mode.value} mode")


@router.post("/move/goto", response_model=MoveUUID, responses=COMMAND_ERRORS)
async def goto(bridge: BackendDep, request: GotoModelRequest) -> MoveUUID:
    """Start a goto; answer its id once the hardware node has checked its whole path."""
    try:
        head = head_pose_fields(request.head_pose) if request.head_pose is not None else None
    except ValueError as exc:
        raise _validation_error(exc, ("head_pose",)) from exc
    try:
        command = GotoCommand.model_validate(
            {
                "head": head,
                "antennas": request.antennas,
                "body_yaw": request.body_yaw,
                "duration": request.duration,
                "interpolation": request.interpolation,
            }
        )
    except ValidationError as exc:
        raise _validation_error(exc, ()) from exc
    if command.head is None and command.antennas is None and command.body_yaw is None:
        # Nothing to move to: the vendor's move would end at once; ours needs a target.
        raise _validation_error(
            ValueError("a goto needs a target: head_pose, antennas or body_yaw"), ()
        )
    with vendor_errors():
        result = await commands.command_goto(bridge, command, SOURCE)
    return MoveUUID(uuid=move_uuid(result.move_id or ""))


@router.post(
    "/move/set_target",
    response_model=SetTargetReply,
    response_model_exclude_none=True,
    responses=COMMAND_ERRORS,
)
async def set_target(bridge: BackendDep, target: FullBodyTarget) -> SetTargetReply:
    """Stream a target (followed under the velocity and acceleration limits).

    While a move runs the hardware node refuses it: the answer is ``ignored``, as the vendor's.
    """
    try:
        head = (
            head_pose_fields(target.target_head_pose)
            if target.target_head_pose is not None
            else None
        )
        goals: dict[str, float] = {}
        if target.target_antennas is not None:
            goals["right_antenna"], goals["left_antenna"] = target.target_antennas
        if target.target_body_yaw is not None:
            goals["yaw_body"] = target.target_body_yaw
        joint_command = JointCommand.model_validate({"goals": goals}) if goals else None
        head_command = HeadPoseCommand.model_validate(head) if head is not None else None
    except ValidationError as exc:
        raise _validation_error(exc, ()) from exc
    except ValueError as exc:
        raise _validation_error(exc, ("target_head_pose",)) from exc
    try:
        if joint_command is not None:
            await commands.command_joints(bridge, joint_command, SOURCE)
        if head_command is not None:
            await commands.command_head_pose(bridge, head_command, SOURCE)
    except ReachyMiniError as exc:
        if exc.code == "move_running":
            return SetTargetReply(status="ignored", reason=moves.MOVE_RUNNING)
        raise SdkHTTPError(exc.status_code, exc.message) from exc
    return SetTargetReply(status="ok")


@router.post(
    "/move/stop",
    response_model=MessageReply,
    responses={**COMMAND_ERRORS, 404: {"model": VendorError, "description": "Not running."}},
)
async def stop_move(bridge: BackendDep, move: MoveUUID) -> MessageReply:
    """Stop the running move of that id (it ends cancelled, where it is)."""
    running = {move_uuid(move_id): move_id for move_id in bridge.moves.ids()}
    if move.uuid not in running:
        raise SdkHTTPError(status.HTTP_404_NOT_FOUND, f"no running move with UUID {move.uuid}")
    with vendor_errors():
        await commands.command_stop(bridge, None, SOURCE)
    return MessageReply(message=f"Stopped move with UUID: {move.uuid}")


@router.get("/move/running", response_model=list[MoveUUID], responses=ERRORS)
async def running_moves(bridge: BridgeDep) -> list[MoveUUID]:
    """Return the moves that have started and not ended, oldest first."""
    return [MoveUUID(uuid=move_uuid(m["move_id"])) for m in bridge.moves.running()]


@router.post("/move/play/wake_up", response_model=MoveUUID, responses=COMMAND_ERRORS)
async def play_wake_up(bridge: BackendDep) -> MoveUUID:
    """Run the wake up move; answer its id."""
    with vendor_errors():
        result = await commands.command_wake_up(bridge, None, SOURCE)
    return MoveUUID(uuid=move_uuid(result.move_id or ""))


@router.post("/move/play/goto_sleep", response_model=MoveUUID, responses=COMMAND_ERRORS)
async def play_goto_sleep(bridge: BackendDep) -> MoveUUID:
    """Run the sleep move (it ends with the motors limp); answer its id."""
    with vendor_errors():
        result = await commands.command_goto_sleep(bridge, None, SOURCE)
    return MoveUUID(uuid=move_uuid(result.move_id or ""))


@router.get("/kinematics/info", responses=BACKEND_ERRORS)
async def kinematics_info(bridge: BackendDep) -> dict[str, Any]:
    """Say which kinematics the hardware node runs."""
    return {"info": {"engine": KINEMATICS_ENGINE, "collision check": False}}


@router.get("/kinematics/urdf", responses=BACKEND_ERRORS)
async def kinematics_urdf(bridge: BackendDep) -> dict[str, str]:
    """Return the package's URDF (drawn with primitives, no meshes)."""
    path = share_dir() / "urdf" / "reachy_mini.urdf"
    return {"urdf": await asyncio.to_thread(path.read_text, encoding="utf-8")}


@router.post("/media/release", response_model=StatusReply, responses=ERRORS)
async def release_media(bridge: BridgeDep) -> StatusReply:
    """Succeed: the bridge holds no camera or audio (its status says no_media)."""
    return StatusReply(status="ok")


# -- WebSockets ------------------------------------------------------------------------------


@ws_router.websocket("/move/ws/updates")
async def ws_move_updates(websocket: WebSocket) -> None:
    """Send every move's start and end: {type, uuid, details}."""
    feed = move_feed(bridge_of(websocket))
    queue = feed.subscribe()
    await websocket.accept()

    async def drain() -> None:
        # What the client sends is read and dropped; this notices its going away.
        while True:
            await websocket.receive_text()

    reader = asyncio.create_task(drain())
    try:
        while not reader.done():
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            await websocket.send_json(getter.result())
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        feed.unsubscribe(queue)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader


@ws_router.websocket("/state/ws/full")
async def ws_full_state(
    websocket: WebSocket,
    frequency: Annotated[float, Query(gt=0.0, le=MAX_STATE_FREQUENCY_HZ)] = 10.0,
    with_head_pose: Flag = True,
    with_target_head_pose: Flag = False,
    with_head_joints: Flag = False,
    with_target_head_joints: Flag = False,
    with_body_yaw: Flag = True,
    with_target_body_yaw: Flag = False,
    with_antenna_positions: Flag = True,
    with_target_antenna_positions: Flag = False,
    with_passive_joints: Flag = False,
    with_doa: Flag = False,
    with_imu: Flag = False,
    use_pose_matrix: Flag = False,
) -> None:
    """Send the full state every 1/frequency s while the hardware node is ready."""
    bridge = bridge_of(websocket)
    if not math.isfinite(frequency) or not backend_ready(bridge):
        raise WebSocketException(code=status.WS_1011_INTERNAL_ERROR, reason=BACKEND_NOT_RUNNING)
    await websocket.accept()
    period = 1.0 / frequency
    next_at = time.monotonic()

    async def closed() -> None:
        while True:
            await websocket.receive_text()

    reader = asyncio.create_task(closed())
    try:
        while not reader.done():
            if backend_ready(bridge):
                with contextlib.suppress(shapes.StateUnavailableError):
                    state = full_state(
                        bridge,
                        with_control_mode=True,
                        with_head_pose=with_head_pose,
                        with_head_joints=with_head_joints,
                        with_body_yaw=with_body_yaw,
                        with_antenna_positions=with_antenna_positions,
                        use_pose_matrix=use_pose_matrix,
                    )
                    await websocket.send_text(state.model_dump_json())
            next_at += period
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
                delay = 0
            await asyncio.wait({reader}, timeout=delay)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await reader
