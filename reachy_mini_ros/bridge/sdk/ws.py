"""Serve the app SDK's WebSocket, `/ws/sdk`, from the robot's ROS interfaces.

Pushes: `joint_positions` and `head_pose` at every joint state the bridge receives (the loop
rate), `daemon_status` at 1 Hz, `task_progress` when a task's move ends and `recorded_data`
after `stop_recording`. Commands are fire-and-forget, as the SDK expects: nothing is answered,
but a command the robot refuses is logged with its reason, audited and counted in /metrics.
Every target goes through the hardware node, which shapes it under its limits.

Each client has latest-value slots for the two state frames and a bounded queue for the rest,
emptied by its own sender task: a client that stops reading loses state frames, holds no
backlog and never slows the others. State frames are serialised once per joint state.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from pydantic import ValidationError

from reachy_mini_ros.bridge.commands import (
    GRAVITY_COMPENSATION_REFUSAL,
    check_goto,
    command_goto_sleep,
    command_motor_mode,
    command_stop,
    command_torque,
    command_wake_up,
)
from reachy_mini_ros.bridge.errors import ReachyMiniError
from reachy_mini_ros.bridge.logs import get_logger
from reachy_mini_ros.bridge.motion import MoveEvent
from reachy_mini_ros.bridge.runtime import OK, WARN, Bridge, ServiceUnavailableError
from reachy_mini_ros.bridge.schemas import GotoCommand, MotorModeCommand, TorqueCommand
from reachy_mini_ros.bridge.sdk import sdk_messages as msgs
from reachy_mini_ros.bridge.sdk.shapes import (
    MOTOR_NAMES,
    StateUnavailableError,
    daemon_status,
    matrix_pose,
    sample_antenna_positions,
    sample_head_joint_positions,
    sample_head_pose_matrix,
)
from reachy_mini_ros.bridge.sdk.trust import refusal
from reachy_mini_ros.bridge.state import JointSample
from reachy_mini_ros.bridge.ws import finish_connection, receive_frame
from reachy_mini_ros.interface import moves
from reachy_mini_ros.interface.joints import (
    STEWART_JOINT_NAMES,
    CommandError,
    check_head_pose,
    check_joint_goals,
)

router = APIRouter()
log = get_logger("reachy_mini.bridge.sdk")

SOURCE = "sdk"
PATH = "/ws/sdk"
# 1008: policy violation (an untrusted peer, Host or Origin); 1013: try again later.
CLOSE_POLICY = 1008
CLOSE_TRY_LATER = 1013
CLOSE_GOING_AWAY = 1001
STATUS_PERIOD_S = 1.0
# A client that takes longer than this to accept one frame has stalled: it is disconnected.
SEND_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 1.0
# Frames other than the state (status, task progress, recordings) waiting for a slow client.
MAX_QUEUED = 64
# Commands of one client waiting for the hardware node's outcome; more are dropped.
MAX_IN_FLIGHT = 64
# A client message larger than this is skipped (a target is a few hundred bytes).
MAX_MESSAGE_BYTES = 64 * 1024
# A recording keeps at most this many records and bytes of them per connection.
MAX_RECORDS = 100_000
MAX_RECORD_BYTES = 16 * 1024 * 1024
# A refusal of the same command for the same reason code is logged and audited at most once
# in this many seconds per connection (a refused stream at 100 Hz would flood both); the
# count of the ones folded in is given with the next.
REFUSAL_REPEAT_S = 5.0
# A task whose move never reports its end (the hardware node died) is ended this long after
# its duration ran out, with an error.
TASK_END_GRACE_S = 5.0
STATE_SLOTS = ("joint_positions", "head_pose")
ANTENNAS = ("right_antenna", "left_antenna")
HEAD_JOINTS = ("yaw_body", *STEWART_JOINT_NAMES)
STREAMED = frozenset(
    {"set_full_target", "set_target", "set_antennas", "set_body_yaw", "set_head_joints"}
)


class RejectedError(Exception):
    """A command that the bridge or the robot refused: its code and reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _length(values: list[float] | None, size: int, what: str) -> list[float] | None:
    if values is not None and len(values) != size:
        raise RejectedError("validation_error", f"{what} needs {size} numbers, not {len(values)}")
    return values


def _head(values: list[float] | None) -> dict[str, float] | None:
    if _length(values, 16, "head (a 4×4 matrix)") is None:
        return None
    try:
        return matrix_pose(values)  # type: ignore[arg-type]
    except ValueError as exc:
        raise RejectedError("validation_error", str(exc)) from exc


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class SdkClient:
    """One connection: its state slots, queue, sender task, recording and refusal log."""

    def __init__(self, websocket: WebSocket, hub: SdkHub, peer: str | None) -> None:
        self.websocket = websocket
        self.hub = hub
        self.peer = peer
        self.slots: dict[str, str | None] = dict.fromkeys(STATE_SLOTS)
        self.queued: deque[str] = deque(maxlen=MAX_QUEUED)
        self.wake = asyncio.Event()
        self.sender: asyncio.Task[None] | None = None
        self.closed = False
        self.in_flight: set[asyncio.Task[None]] = set()
        self.recording: list[Any] | None = None
        self.recorded_bytes = 0
        self.logged_kinds: set[str] = set()
        # (command, code) → (monotonic time of the last one told, count folded in since).
        self.refusals: dict[tuple[str, str], tuple[float, int]] = {}

    def offer(self, slot: str, frame: str) -> None:
        if self.slots[slot] is not None:
            self.hub.bridge.metrics.ws_frames_dropped[f"sdk_{slot}"] += 1
        self.slots[slot] = frame
        self.wake.set()

    def queue(self, frame: str) -> None:
        self.queued.append(frame)
        self.wake.set()

    async def _send(self, frame: str) -> None:
        async with asyncio.timeout(SEND_TIMEOUT_S):
            await self.websocket.send({"type": "websocket.send", "text": frame})

    async def run_sender(self) -> None:
        sent = self.hub.bridge.metrics.ws_frames_sent
        while not self.closed:
            await self.wake.wait()
            self.wake.clear()
            while self.queued:
                await self._send(self.queued.popleft())
            for slot in STATE_SLOTS:
                frame = self.slots[slot]
                if frame is not None:
                    self.slots[slot] = None
                    await self._send(frame)
                    sent[f"sdk_{slot}"] += 1

    def log_once(self, kind: str, event: str, **fields: Any) -> None:
        """Log one line per kind of bad frame on this connection."""
        if kind in self.logged_kinds:
            return
        self.logged_kinds.add(kind)
        log.warning(event, kind=kind, peer=self.peer, **fields)

    def stop(self) -> None:
        self.closed = True
        if self.sender is not None:
            self.sender.cancel()
        for task in self.in_flight:
            task.cancel()


class SdkHub:
    """Every /ws/sdk client of one bridge, and the tasks they started."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.clients: set[SdkClient] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.status_task: asyncio.Task[None] | None = None
        # Move id → its duration, for the tasks whose end is awaited.
        self.tasks: dict[str, float] = {}
        # What the last successful set_automatic_body_yaw set (None: not set through here).
        self.automatic_body_yaw: bool | None = None
        self.incomplete_logged = False
        bridge.joint_listeners.append(self.on_joint_state)
        bridge.move_listeners.append(self.on_move_event)
        bridge.shutdown_hooks.append(self.close_all)

    # -- pushes -----------------------------------------------------------------------------

    def start(self) -> None:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        if self.status_task is None or self.status_task.done():
            self.status_task = asyncio.create_task(self._push_status())

    def status_frame(self) -> str:
        return orjson.dumps(daemon_status(self.bridge)).decode()

    async def _push_status(self) -> None:
        while True:
            await asyncio.sleep(STATUS_PERIOD_S)
            if not self.clients:
                continue
            try:
                frame = self.status_frame()
            except Exception as exc:  # a status that cannot be built must not stop the push
                log.error("sdk_status_failed", error=type(exc).__name__, exc_info=exc)
                continue
            for client in self.clients:
                client.queue(frame)

    def on_joint_state(self, sample: JointSample) -> None:
        """Serialise the state frames of one joint state and offer them (ROS thread)."""
        loop = self.loop
        if loop is None or not self.clients:
            return
        # The loop's read time of the reading: the SDK ignores it; a client may measure with it.
        stamp = sample.stamp
        try:
            joints = orjson.dumps(
                {
                    "type": "joint_positions",
                    "head_joint_positions": sample_head_joint_positions(sample),
                    "antennas_joint_positions": sample_antenna_positions(sample),
                    "stamp": stamp,
                }
            ).decode()
            pose = orjson.dumps(
                {"type": "head_pose", "head_pose": sample_head_pose_matrix(sample), "stamp": stamp}
            ).decode()
        except StateUnavailableError as exc:
            if not self.incomplete_logged:
                self.incomplete_logged = True
                log.warning("sdk_state_incomplete", reason=str(exc))
            return
        self.incomplete_logged = False
        with contextlib.suppress(RuntimeError):  # the loop closed during shutdown
            loop.call_soon_threadsafe(self._offer_state, joints, pose)

    def _offer_state(self, joints: str, pose: str) -> None:
        for client in self.clients:
            client.offer("joint_positions", joints)
            client.offer("head_pose", pose)

    def broadcast(self, frame: str) -> None:
        for client in self.clients:
            client.queue(frame)

    def on_move_event(self, event: MoveEvent) -> None:
        """Tell the clients when a task's move ends (ROS thread)."""
        loop = self.loop
        if loop is None or event.event not in moves.ENDS:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._task_ended, event.move_id, event.event, event.reason)

    def _task_ended(self, move_id: str, event: str, reason: str) -> None:
        if self.tasks.pop(move_id, None) is None:
            return
        error = None if event == moves.COMPLETED else f"{event}: {reason}" if reason else event
        self.task_progress(move_id, error)

    def task_progress(self, move_id: str, error: str | None) -> None:
        frame = {
            "type": "task_progress",
            "uuid": move_id,
            "finished": True,
            "error": error,
            "timestamp": _now_iso(),
        }
        self.broadcast(orjson.dumps(frame).decode())

    def _task_overdue(self, move_id: str) -> None:
        if self.tasks.pop(move_id, None) is not None:
            self.task_progress(move_id, "the hardware node did not report the end of the move")

    async def close_all(self) -> None:
        if self.status_task is not None:
            self.status_task.cancel()
            self.status_task = None
        clients = list(self.clients)
        for client in clients:
            client.stop()

        async def close(client: SdkClient) -> None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await client.websocket.close(code=CLOSE_GOING_AWAY)

        await asyncio.gather(*(close(client) for client in clients))

    # -- a connection -----------------------------------------------------------------------

    async def serve(self, websocket: WebSocket, peer: str | None) -> None:
        self.start()
        client = SdkClient(websocket, self, peer)
        self.clients.add(client)
        self.bridge.metrics.sdk_clients = len(self.clients)
        client.sender = asyncio.create_task(client.run_sender())
        # The SDK needs a status within 5 s of connecting: the first comes at once.
        with contextlib.suppress(Exception):
            client.queue(self.status_frame())
        try:
            while True:
                received = await self._receive(websocket, client)
                if received is None:
                    break
                try:
                    self._take(client, received)
                except Exception as exc:  # whatever a frame is, it must not end the connection
                    log.error("sdk_message_failed", error=type(exc).__name__, exc_info=exc)
        finally:
            self.clients.discard(client)
            self.bridge.metrics.sdk_clients = len(self.clients)
            client.stop()
            await finish_connection(websocket, client.sender)

    async def _receive(self, websocket: WebSocket, client: SdkClient) -> str | bytes | None:
        assert client.sender is not None
        return await receive_frame(
            websocket,
            client.sender,
            lambda: log.warning("sdk_client_stalled", peer=client.peer, timeout_s=SEND_TIMEOUT_S),
        )

    def _take(self, client: SdkClient, received: str | bytes) -> None:
        """Read one frame and start its command; skip it, logged once per kind, if bad."""
        counts = self.bridge.metrics.sdk_commands
        if len(received) > MAX_MESSAGE_BYTES:
            counts[("oversized", "skipped")] += 1
            client.log_once("oversized", "sdk_message_skipped", reason="over 64 KiB")
            return
        try:
            message = orjson.loads(received)
        except orjson.JSONDecodeError:
            counts[("invalid_json", "skipped")] += 1
            client.log_once("invalid_json", "sdk_message_skipped", reason="not JSON")
            return
        kind = message.get("type") if isinstance(message, dict) else None
        model = msgs.MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            name = kind if isinstance(kind, str) and len(kind) <= 64 else "unknown"
            counts[(name, "unsupported")] += 1
            client.log_once(
                f"type:{name}", "sdk_message_skipped", reason="a type the bridge does not serve"
            )
            return
        assert isinstance(kind, str)
        try:
            parsed = model.model_validate(message)
        except ValidationError as exc:
            counts[(kind, "malformed")] += 1
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            client.log_once(
                f"malformed:{kind}", "sdk_message_skipped", reason=f"{where}: {first['msg']}"
            )
            return
        if kind == "start_recording":
            client.recording, client.recorded_bytes = [], 0
            counts[(kind, "accepted")] += 1
            return
        if kind == "append_record":
            self._append_record(client, parsed, len(received))
            return
        if kind == "stop_recording":
            records, client.recording = client.recording or [], None
            client.queue(orjson.dumps({"type": "recorded_data", "data": records}).decode())
            counts[(kind, "accepted")] += 1
            return
        if len(client.in_flight) >= MAX_IN_FLIGHT:
            counts[(kind, "overloaded")] += 1
            client.log_once("overloaded", "sdk_command_dropped", reason="too many in flight")
            return
        task = asyncio.create_task(self._run(client, kind, parsed, message))
        client.in_flight.add(task)
        task.add_done_callback(client.in_flight.discard)

    def _append_record(self, client: SdkClient, parsed: msgs.SdkMessage, size: int) -> None:
        counts = self.bridge.metrics.sdk_commands
        if client.recording is None:
            counts[("append_record", "not_recording")] += 1
            return
        if len(client.recording) >= MAX_RECORDS or client.recorded_bytes + size > MAX_RECORD_BYTES:
            counts[("append_record", "full")] += 1
            client.log_once("recording_full", "sdk_recording_full", max_records=MAX_RECORDS)
            return
        assert isinstance(parsed, msgs.AppendRecord)
        client.recording.append(parsed.record)
        client.recorded_bytes += size
        counts[("append_record", "accepted")] += 1

    async def _run(
        self, client: SdkClient, kind: str, parsed: msgs.SdkMessage, raw: dict[str, Any]
    ) -> None:
        counts = self.bridge.metrics.sdk_commands
        try:
            await self._command(client, kind, parsed)
        except RejectedError as exc:
            counts[(kind, exc.code)] += 1
            self._tell_refusal(client, kind, exc.code, exc.reason, raw)
            return
        except ReachyMiniError as exc:
            # Refused by a shared command (commands.py), which has audited it already.
            counts[(kind, exc.code)] += 1
            self._tell_refusal(client, kind, exc.code, exc.message, raw, audit=False)
            return
        counts[(kind, "accepted")] += 1

    def _tell_refusal(
        self,
        client: SdkClient,
        kind: str,
        code: str,
        reason: str,
        raw: dict[str, Any],
        *,
        audit: bool = True,
    ) -> None:
        """Log and audit a refused command; the same one again only every few seconds."""
        now = time.monotonic()
        key = (kind, code)
        last, folded = client.refusals.get(key, (-REFUSAL_REPEAT_S, 0))
        if now - last < REFUSAL_REPEAT_S:
            client.refusals[key] = (last, folded + 1)
            return
        client.refusals[key] = (now, 0)
        log.warning(
            "sdk_command_refused", command=kind, error=code, reason=reason, repeated=folded
        )
        if not audit:
            return
        args = {k: v for k, v in raw.items() if k != "type"}
        more = f" (and {folded} more refused the same way)" if folded else ""
        self.bridge.emit_event(
            level=WARN,
            source=SOURCE,
            kind="command",
            message=f"{kind}: {reason}{more}",
            details={
                "command": kind,
                "args": args,
                "accepted": False,
                "error": code,
                "repeated": folded,
            },
        )

    # -- commands ---------------------------------------------------------------------------

    def _ros(self) -> Any:
        if self.bridge.ros is None:
            raise RejectedError("ros_unavailable", "the ROS node is not running")
        return self.bridge.ros

    async def _command(self, client: SdkClient, kind: str, parsed: msgs.SdkMessage) -> None:
        if kind in STREAMED:
            await self._streamed(kind, parsed)
        elif isinstance(parsed, msgs.Task):
            await self._task(parsed)
        elif isinstance(parsed, msgs.GotoTarget):
            await self._goto(
                str(uuid.uuid4()),
                parsed.head,
                parsed.antennas,
                parsed.body_yaw,
                parsed.duration,
                moves.DEFAULT_INTERPOLATION,
                task=False,
            )
        elif isinstance(parsed, msgs.SetTorque):
            await self._torque(parsed)
        elif isinstance(parsed, msgs.SetMotorMode):
            if parsed.mode not in ("enabled", "disabled", "gravity_compensation"):
                raise RejectedError("validation_error", f"mode {parsed.mode[:32]!r} is not a mode")
            mode = MotorModeCommand.model_validate({"mode": parsed.mode})
            await command_motor_mode(self.bridge, mode, SOURCE)
        elif kind == "set_gravity_compensation":
            assert isinstance(parsed, msgs.Enabled)
            if parsed.enabled:
                raise RejectedError("refused", GRAVITY_COMPENSATION_REFUSAL)
        elif kind == "set_automatic_body_yaw":
            assert isinstance(parsed, msgs.Enabled)
            await self._automatic_body_yaw(parsed.enabled)
        elif kind == "wake_up":
            await command_wake_up(self.bridge, None, SOURCE)
        elif kind == "goto_sleep":
            await command_goto_sleep(self.bridge, None, SOURCE)
        elif kind == "stop_move":
            await command_stop(self.bridge, None, SOURCE)

    async def _send_or_reject(self, what: str, send: Any) -> None:
        """Await a streamed target's outcome; raise RejectedError with the node's reason."""
        try:
            accepted, reply = await send
        except ServiceUnavailableError as exc:
            raise RejectedError("service_unavailable", str(exc)) from exc
        except TimeoutError as exc:
            raise RejectedError(
                "timeout", f"the hardware node did not answer {what} in time"
            ) from exc
        if not accepted:
            code = "move_running" if reply.startswith(moves.MOVE_RUNNING) else "refused"
            raise RejectedError(code, f"the hardware node refused {what}: {reply}")

    async def _streamed(self, kind: str, parsed: msgs.SdkMessage) -> None:
        """Send a streamed target: joint goals first (body, antennas), then the head pose."""
        head: dict[str, float] | None = None
        goals: dict[str, float] = {}
        if isinstance(parsed, msgs.SetFullTarget | msgs.SetTarget):
            head = _head(parsed.head)
        if isinstance(parsed, msgs.SetFullTarget | msgs.SetAntennas):
            antennas = _length(parsed.antennas, 2, "antennas ([right, left])")
            if antennas is not None:
                goals.update(zip(ANTENNAS, antennas, strict=True))
        if (
            isinstance(parsed, msgs.SetFullTarget | msgs.SetBodyYaw)
            and parsed.body_yaw is not None
        ):
            goals["yaw_body"] = parsed.body_yaw
        if isinstance(parsed, msgs.SetHeadJoints):
            joints = _length(parsed.joints, 7, "joints ([body_yaw, stewart_1..6])")
            assert joints is not None
            goals.update(zip(HEAD_JOINTS, joints, strict=True))
        if head is None and not goals:
            raise RejectedError("validation_error", "no target given")
        try:
            if goals:
                check_joint_goals(goals)
            if head is not None:
                check_head_pose(**head, body_yaw=self._yaw_for_check(head, goals.get("yaw_body")))
        except CommandError as exc:
            raise RejectedError("out_of_limits", str(exc)) from exc
        ros = self._ros()
        if goals:
            await self._send_or_reject("the joint targets", ros.send_joint_goals(goals))
        if head is not None:
            await self._send_or_reject("the head pose", ros.send_head_pose(**head))

    def _yaw_for_check(self, head: dict[str, float], body_yaw: float | None) -> float:
        """Return the body yaw that the head's yaw is checked against.

        The target's body yaw when it gives one; with automatic body yaw the hardware node
        turns the body itself (and checks the result), so the head's own yaw; else the present.
        """
        if body_yaw is not None:
            return body_yaw
        if self.automatic_body_yaw:
            return head["yaw"]
        return self.bridge.state.body_yaw()

    async def _task(self, parsed: msgs.Task) -> None:
        try:
            move_id = str(uuid.UUID(parsed.uuid))
        except ValueError as exc:
            raise RejectedError("validation_error", "uuid is not a UUID") from exc
        if "move_name" in parsed.req:
            error = "named moves are not offered over /ws/sdk"
            self.task_progress(move_id, error)
            raise RejectedError("unsupported", error)
        try:
            req = msgs.GotoTaskRequest.model_validate(parsed.req)
        except ValidationError as exc:
            first = exc.errors()[0]
            error = f"req.{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
            self.task_progress(move_id, error)
            raise RejectedError("validation_error", error) from exc
        await self._goto(
            move_id, req.head, req.antennas, req.body_yaw, req.duration, req.method, task=True
        )

    async def _goto(
        self,
        move_id: str,
        head_matrix: list[float] | None,
        antennas: list[float] | None,
        body_yaw: float | None,
        duration: float,
        method: str,
        *,
        task: bool,
    ) -> None:
        """Check and send a goto with move_id; a task hears of its end in task_progress."""
        try:
            head = _head(head_matrix)
            _length(antennas, 2, "antennas ([right, left])")
            command = GotoCommand.model_validate(
                {
                    "head": head,
                    "antennas": antennas,
                    "body_yaw": body_yaw,
                    "duration": duration,
                    "interpolation": method,
                }
            )
            if command.head is None and command.antennas is None and command.body_yaw is None:
                raise RejectedError("validation_error", "a goto needs head, antennas or body_yaw")
            check_goto(command, self.bridge.state.body_yaw())
        except (RejectedError, ValidationError, CommandError) as exc:
            if isinstance(exc, ValidationError):
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                exc = RejectedError("validation_error", f"{where}: {first['msg']}")
            elif isinstance(exc, CommandError):
                exc = RejectedError("out_of_limits", str(exc))
            if task:
                self.task_progress(move_id, exc.reason)
            raise exc from None
        request = moves.GotoRequest(
            duration=command.duration,
            interpolation=command.interpolation,
            head=command.head.model_dump() if command.head is not None else None,
            antennas=(command.antennas[0], command.antennas[1]) if command.antennas else None,
            body_yaw=command.body_yaw,
            move_id=move_id,
        )
        if task:
            self.tasks[move_id] = command.duration
        args = {"duration": command.duration, "interpolation": command.interpolation}
        try:
            outcome = await self._ros().send_goto(request)
        except (ServiceUnavailableError, TimeoutError, RejectedError) as exc:
            reason = (
                "the hardware node did not answer the goto in time"
                if isinstance(exc, TimeoutError)
                else str(exc)
            )
            code = "timeout" if isinstance(exc, TimeoutError) else "service_unavailable"
            self._fail_task(move_id, reason, task)
            raise RejectedError(code, reason) from exc
        if not outcome.accepted:
            reason = f"the hardware node refused the goto: {outcome.message}"
            self._fail_task(move_id, reason, task)
            raise RejectedError("refused", reason)
        self._audit_accepted("task" if task else "goto_target", args, move_id)
        if task and self.loop is not None and move_id in self.tasks:
            self.loop.call_later(command.duration + TASK_END_GRACE_S, self._task_overdue, move_id)

    def _fail_task(self, move_id: str, reason: str, task: bool) -> None:
        if task and self.tasks.pop(move_id, None) is not None:
            self.task_progress(move_id, reason)

    def _audit_accepted(self, kind: str, args: dict[str, Any], move_id: str | None) -> None:
        self.bridge.emit_event(
            level=OK,
            source=SOURCE,
            kind="command",
            message=f"{kind}: started",
            details={
                "command": kind,
                "args": args,
                "accepted": True,
                "error": None,
                "move_id": move_id,
            },
        )

    async def _torque(self, parsed: msgs.SetTorque) -> None:
        if parsed.ids is not None:
            unknown = sorted(set(parsed.ids) - set(MOTOR_NAMES))
            if unknown:
                shown = ", ".join(name[:32] for name in unknown[:3])
                raise RejectedError("validation_error", f"unknown motor(s): {shown}")
            if set(parsed.ids) != set(MOTOR_NAMES):
                raise RejectedError(
                    "refused",
                    "torque is switched for all motors at once on this robot: a subset "
                    f"({len(set(parsed.ids))} of {len(MOTOR_NAMES)} motors) cannot be",
                )
        await command_torque(self.bridge, TorqueCommand(enabled=parsed.on), SOURCE)

    async def _automatic_body_yaw(self, enabled: bool) -> None:
        ros = self._ros()
        try:
            ok, reason = await ros.set_automatic_body_yaw(enabled)
        except ServiceUnavailableError as exc:
            raise RejectedError("service_unavailable", str(exc)) from exc
        if not ok:
            raise RejectedError(
                "refused", f"the hardware node refused automatic_body_yaw: {reason}"
            )
        self.automatic_body_yaw = enabled


_HUBS: dict[int, SdkHub] = {}


def hub_of(bridge: Bridge) -> SdkHub:
    """Return the bridge's hub, made at its first client."""
    hub = _HUBS.get(id(bridge))
    if hub is None or hub.bridge is not bridge:
        hub = _HUBS[id(bridge)] = SdkHub(bridge)
    return hub


@router.websocket(PATH)
async def sdk_websocket(websocket: WebSocket) -> None:
    """Serve one app SDK client (docs/vendor-sdk.md, "The SDK's WebSocket")."""
    bridge: Bridge = websocket.app.state.bridge
    peer = websocket.client.host if websocket.client is not None else None
    reason = refusal(
        websocket.headers.get("host"),
        websocket.headers.get("origin"),
        peer,
        bridge.config.sdk_trusted_networks,
    )
    if reason is not None:
        log.warning("sdk_ws_refused", peer=peer, reason=reason)
        await websocket.close(code=CLOSE_POLICY, reason=reason[:120])
        return
    if not bridge.hub.running:
        await websocket.close(code=CLOSE_TRY_LATER)
        return
    await websocket.accept()
    await hub_of(bridge).serve(websocket, peer)
