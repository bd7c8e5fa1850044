"""Typed interface of the Rust hardware core of Reachy Mini.

Units: positions in rad, velocities in rad/s, currents in mA, voltages in V, temperatures in
degrees Celsius, times in seconds. Read times are wall-clock (UNIX epoch) seconds taken by the
control loop right after the bus read, so that ROS stamps can be derived from them.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Final, Self, final

# Every name the module exports; stubtest checks this list against the module's own __all__.
__all__ = [
    "DEFAULT_MAX_ACCELERATION",
    "DEFAULT_MAX_VELOCITY",
    "HW_ERROR_ELECTRICAL_SHOCK",
    "HW_ERROR_INPUT_VOLTAGE",
    "HW_ERROR_MOTOR_ENCODER",
    "HW_ERROR_OVERHEATING",
    "HW_ERROR_OVERLOAD",
    "INTERPOLATIONS",
    "JOINT_LIMITS",
    "JOINT_NAMES",
    "MOTOR_IDS",
    "MOVE_KINDS",
    "BusError",
    "ControlLoop",
    "CoreError",
    "CrcError",
    "HeadPose",
    "HeaderError",
    "KinematicsError",
    "LengthError",
    "LimitError",
    "LoopStats",
    "MotionError",
    "ProtocolError",
    "PtyBus",
    "ReadingEncoder",
    "SimBus",
    "Snapshot",
    "StatusPacket",
    "__version__",
    "automatic_body_yaw",
    "crc16",
    "decode_status",
    "decode_sync_read",
    "encode_instruction",
    "encode_sync_read",
    "encode_sync_write",
    "forward_kinematics",
    "interpolate_head_pose",
    "inverse_kinematics",
    "stewart_angles",
    "time_warp",
]

__version__: Final[str]

# URDF joint names, in motor order, and the matching Dynamixel ids (hardware reference).
JOINT_NAMES: Final[tuple[str, ...]]
MOTOR_IDS: Final[tuple[int, ...]]
# (lower, upper) position limit in rad of each joint, in JOINT_NAMES order.
JOINT_LIMITS: Final[tuple[tuple[float, float], ...]]
# Default per-joint limits of the motion layer (rad/s, rad/s²).
DEFAULT_MAX_VELOCITY: Final[float]
DEFAULT_MAX_ACCELERATION: Final[float]
# The loop's move kinds and time warps.
MOVE_KINDS: Final[tuple[str, ...]]
INTERPOLATIONS: Final[tuple[str, ...]]

# Hardware Error Status bits (control table address 70).
HW_ERROR_INPUT_VOLTAGE: Final[int]  # bit 0
HW_ERROR_OVERHEATING: Final[int]  # bit 2
HW_ERROR_MOTOR_ENCODER: Final[int]  # bit 3
HW_ERROR_ELECTRICAL_SHOCK: Final[int]  # bit 4
HW_ERROR_OVERLOAD: Final[int]  # bit 5

class CoreError(Exception):
    """Base class of every error raised by the core."""

class ProtocolError(CoreError):
    """A packet that is not valid Dynamixel Protocol 2.0."""

class CrcError(ProtocolError):
    """The packet's CRC does not match its bytes."""

class LengthError(ProtocolError):
    """The packet's LEN field does not match its size, or the packet is too short."""

class HeaderError(ProtocolError):
    """The packet does not start with FF FF FD 00."""

class BusError(CoreError):
    """The bus could not be opened, timed out, or is disconnected."""

class LimitError(CoreError, ValueError):
    """A goal names an unknown joint, is not finite, or is outside the joint limits."""

class KinematicsError(CoreError, ValueError):
    """A head pose is not finite or not reachable."""

class MotionError(CoreError, ValueError):
    """A move or a streamed target the motion layer refuses.

    The message starts with ``move_running`` for a streamed target sent while a move runs;
    a move whose path leaves the workspace, the limits or the velocity limits names the first
    failing time: "at t=0.350 s of 1.000 s: head pose is out of reach of motor stewart_2".
    """

def crc16(data: bytes) -> int:
    """Return the Protocol 2.0 CRC-16 (poly 0x8005, init 0) of data."""

def encode_instruction(id: int, instruction: int, params: bytes) -> bytes:
    """Return a complete instruction packet: header, id, length, stuffed params and CRC."""

@final
class StatusPacket:
    """A decoded status packet."""

    @property
    def id(self) -> int: ...
    @property
    def error(self) -> int:
        """Error number (bits 0-6 of the ERR byte)."""
    @property
    def alert(self) -> bool:
        """Alert flag (bit 7 of the ERR byte): read Hardware Error Status for the cause."""
    @property
    def params(self) -> bytes:
        """Parameters, with byte stuffing removed."""

def decode_status(packet: bytes) -> StatusPacket:
    """Decode one status packet; raise CrcError, LengthError or HeaderError when it is bad."""

def encode_sync_read(address: int, length: int, ids: Sequence[int], fast: bool = False) -> bytes:
    """Return a Sync Read (or Fast Sync Read) instruction for several motors."""

def encode_sync_write(
    address: int, length: int, ids: Sequence[int], values: Sequence[int]
) -> bytes:
    """Return a Sync Write instruction: one little-endian value of `length` bytes per motor.

    Raises LengthError when ids and values differ in length or length is not 1 to 8.
    """

def decode_sync_read(
    stream: bytes, ids: Sequence[int], length: int, signed: bool = True
) -> list[int | None]:
    """Return each motor's value from a stream of sync read replies (None when missing or bad)."""

@final
class HeadPose:
    """Head pose in the robot's base frame: metres and radians (the vendor's convention).

    x forward, y left, z up; all zeros (the identity transform) is the neutral head. The pose
    does not turn with the body: a yaw of 0.5 over a body yaw of 0.5 is the neutral head over
    the body. The rotation is R = Rz(yaw)·Ry(pitch)·Rx(roll) (the vendor's "xyz" extrinsic
    angles). Inverse kinematics accepts roll and pitch within ±40°, a yaw within ±65° of the
    body yaw and each translation within ±30 mm; combinations are further limited by the rods
    and the joint limits.
    """

    def __new__(
        cls,
        x: float = 0.0,
        y: float = 0.0,
        z: float = 0.0,
        roll: float = 0.0,
        pitch: float = 0.0,
        yaw: float = 0.0,
    ) -> Self: ...
    x: float
    y: float
    z: float
    roll: float
    pitch: float
    yaw: float
    @staticmethod
    def from_matrix(m: Sequence[Sequence[float]]) -> HeadPose:
        """Build the pose of a 4×4 transform; KinematicsError unless finite and rigid."""
    def matrix(self) -> list[list[float]]:
        """Return the 4×4 homogeneous transform of the pose, rows first."""
    def as_tuple(self) -> tuple[float, float, float, float, float, float]: ...

def inverse_kinematics(pose: HeadPose, body_yaw: float = 0.0) -> list[float]:
    """Return the six Stewart angles (stewart_1..6) for a base-frame pose over a body yaw.

    Raises KinematicsError, with the reason, when the pose is not finite, is outside the head
    envelope, is out of reach of a rod (naming the motor) or needs an angle past a joint limit.
    """

def stewart_angles(pose: HeadPose, body_yaw: float = 0.0) -> list[float]:
    """Return the raw analytical Stewart angles of a pose, NaN where a rod cannot reach."""

def time_warp(interpolation: str, t: float) -> float:
    """s(t) of a goto's time warp (linear, minjerk, ease_in_out, cartoon) at t in [0, 1]."""

def interpolate_head_pose(
    start: Sequence[Sequence[float]], target: Sequence[Sequence[float]], s: float
) -> list[list[float]]:
    """The head pose (4×4) a fraction s from start to target, as a goto interpolates it:
    translation linearly, yaw as a scalar, the rest of the rotation by slerp."""

def automatic_body_yaw(pose: HeadPose, body_yaw: float) -> float:
    """Return the body yaw the vendor's automatic body yaw picks for a pose and a body yaw.

    The head's yaw relative to the body is kept within ±65° and the body within ±160°.
    """

def forward_kinematics(
    angles: Sequence[float], body_yaw: float = 0.0, start: HeadPose | None = None
) -> HeadPose:
    """Return the base-frame head pose of six Stewart angles over a body yaw.

    Raises KinematicsError if the numerical solution does not converge (never NaN). The pose is
    searched from start (the neutral head over the body when None): near the edge of the
    workspace two poses can share the same angles, so a caller that tracks motion passes the
    previous pose.
    """

@final
class SimBus:
    """A simulated Dynamixel bus with the nine Reachy Mini motors.

    It speaks Protocol 2.0 byte for byte and every packet costs its wire time at the baud rate.
    One SimBus may be shared between a ControlLoop and the test that injects faults into it.
    Its motors start flashed as the robot table says, holding the head at its neutral pose;
    with factory_fresh they start with the e-manual's factory settings (homing offset 0,
    limits 0…4095, return delay 250, shutdown 53, P 400) except their id and baud rate, in
    the same physical positions, so their present positions lack the table's offsets.
    """

    def __new__(cls, baudrate: int = 1_000_000, factory_fresh: bool = False) -> Self: ...
    @property
    def baudrate(self) -> int: ...
    def set_unresponsive(self, motor_id: int, unresponsive: bool) -> None:
        """Make a motor stop (or resume) answering."""
    def set_crc_corruption(self, motor_id: int | None, corrupt: bool) -> None:
        """Corrupt the CRC of replies from one motor, or from all when motor_id is None."""
    def inject_hardware_error(self, motor_id: int, bits: int) -> None:
        """Set Hardware Error Status bits; torque is cleared until the motor is rebooted.

        As on the real motor, torque is cleared only by bits of the Shutdown mask (52 on Reachy
        Mini: overheating, electrical shock, overload); an input-voltage error only raises the
        alert flag.
        """
    def set_unplugged(self, unplugged: bool) -> None:
        """Unplug the bus (every transfer fails as a lost port) or plug it back."""
    def set_reply_delay(self, seconds: float) -> None:
        """Delay every reply by this much on top of its wire time."""
    def inject_panic(self) -> None:
        """Make the handling of the next packet panic, in whichever thread sends it."""
    def motor(self, motor_id: int) -> dict[str, float | int | bool]:
        """Return the internal state of one motor (position, goal, torque, temperature...).

        Also every writable control-table item by name (homing_offset, min_position_limit,
        position_p_gain, led...) and ``writes``, the WRITE instructions it received.
        """

@final
class PtyBus:
    """Serve a SimBus on a pseudo-terminal, so the serial transport can be used against it."""

    def __new__(cls, sim: SimBus | None = None) -> Self: ...
    @property
    def path(self) -> str:
        """Path of the pty slave device, to open as a serial port."""
    @property
    def sim(self) -> SimBus: ...
    def stop(self) -> None: ...

@final
class Snapshot:
    """One immutable reading of the robot, published by the control loop."""

    @property
    def seq(self) -> int:
        """Sequence number, +1 per cycle that read positions."""
    @property
    def move_id(self) -> str | None:
        """The move whose goals the last write carried, or None."""
    @property
    def move_time(self) -> float:
        """The time (s from the move's start) at which those goals were computed."""
    @property
    def read_time(self) -> float:
        """Wall-clock time (s) at which the positions were read."""
    @property
    def names(self) -> list[str]: ...
    @property
    def ids(self) -> list[int]: ...
    @property
    def position(self) -> list[float]: ...
    @property
    def velocity(self) -> list[float]: ...
    @property
    def velocity_time(self) -> float:
        """Wall-clock time of the last velocity read; 0.0 before the first."""
    @property
    def current(self) -> list[float]:
        """Present current in mA."""
    @property
    def current_time(self) -> float: ...
    @property
    def goal(self) -> list[float]:
        """Last goal written to each motor."""
    @property
    def temperature(self) -> list[float]: ...
    @property
    def voltage(self) -> list[float]: ...
    @property
    def hardware_error(self) -> list[int]:
        """Hardware Error Status byte of each motor."""
    @property
    def torque_enabled(self) -> list[bool]: ...
    @property
    def status_time(self) -> float:
        """Wall-clock time of the last temperature/voltage/error read; 0.0 before the first."""
    @property
    def position_time(self) -> list[float]:
        """Per motor: wall-clock time its position was last read.

        Equal to read_time for every motor that answered in this cycle; a motor that stopped
        answering keeps the time of its last answer.
        """
    @property
    def comm_errors(self) -> list[int]:
        """Per motor: cumulated timeouts and corrupt replies."""
    @property
    def bus_state(self) -> str:
        """'connected', 'reconnecting' or 'closed', when this snapshot was handed out.

        While the bus is down the loop publishes nothing, so the latest snapshot keeps its seq
        and read_time but reports 'reconnecting'.
        """

@final
class ReadingEncoder:
    """Serialize readings as sensor_msgs/JointState and geometry_msgs/PoseStamped (CDR), for
    Publisher.publish(bytes). torque_constants: N·m/A per motor, in the loop's motor order."""

    def __new__(
        cls,
        torque_constants: Sequence[float],
        head_pose_frame: str,
        head_pose_joint_names: Sequence[str],
    ) -> ReadingEncoder: ...
    def encode(self, snapshot: Snapshot) -> tuple[bytes, bytes | None]:
        """(JointState bytes, PoseStamped bytes or None): the motors read in this cycle, then
        the head pose joints when the forward kinematics found a pose."""

@final
class LoopStats:
    """Statistics of the control loop since it started."""

    @property
    def configured_rate_hz(self) -> float: ...
    @property
    def achieved_rate_hz(self) -> float:
        """Cycles per second over the last second."""
    @property
    def cycles(self) -> int: ...
    @property
    def jitter_p50_ms(self) -> float:
        """How late cycles started against their fixed schedule (last 2000 cycles), median."""
    @property
    def jitter_p99_ms(self) -> float: ...
    @property
    def jitter_max_ms(self) -> float: ...
    @property
    def read_ms_p50(self) -> float: ...
    @property
    def write_ms_p50(self) -> float: ...
    @property
    def errors(self) -> dict[str, int]:
        """Error counts by kind: 'timeout', 'checksum', 'status', 'io', 'reconnect'..."""
    @property
    def bus_state(self) -> str: ...
    @property
    def reconnects(self) -> int: ...
    @property
    def realtime(self) -> bool:
        """Whether the loop thread got real-time (SCHED_FIFO) priority from the system."""

@final
class ControlLoop:
    """The fixed-rate control loop: read, publish a snapshot, write goals.

    Every method that waits (for the bus, a lock or a snapshot) releases the GIL.
    """

    def __new__(
        cls,
        *,
        backend: str = "sim",
        port: str | None = None,
        baudrate: int = 1_000_000,
        rate_hz: float = 200.0,
        sim: SimBus | None = None,
        timeout_s: float = 0.02,
        max_retries: int = 3,
        watchdog_ms: int = 0,
        limits: Mapping[str, tuple[float, float]] | None = None,
        max_velocity: float | Mapping[str, float] | None = None,
        max_acceleration: float | Mapping[str, float] | None = None,
        automatic_body_yaw: bool = False,
    ) -> Self:
        """Create a loop on the simulated bus (backend 'sim') or a serial port ('serial').

        limits narrows the joint limits; it cannot widen them beyond JOINT_LIMITS.
        timeout_s is how long a reply may be late beyond its wire time; a read that fails
        max_retries more times in a row takes the bus down ('reconnecting'). watchdog_ms > 0
        arms each motor's Bus Watchdog (20 ms units, at most 127) at open and start, so that
        the motors stop if the loop stops sending. The loop thread asks the system for
        real-time priority (see LoopStats.realtime) and runs without it if refused.

        max_velocity (rad/s) and max_acceleration (rad/s²), for every joint or by joint name
        (default DEFAULT_MAX_VELOCITY and DEFAULT_MAX_ACCELERATION), shape the streamed
        targets and bound the moves. automatic_body_yaw lets the gotos' IK turn the body as
        the vendor's does.
        """
    def open(self) -> list[int]:
        """Open the bus and ping every motor; return the ids that answered.

        Raises BusError when the port cannot be opened.
        """
    def setup_motors(self, mode: str) -> dict[str, Any]:
        """Compare the motors' configuration with the robot table; mode is check, flash or skip.

        Only while the loop is stopped. Returns ``mode``, ``ok`` and the lists
        ``differences`` (before any write), ``written`` and ``failed`` (with a ``reason``), each
        entry a dict of id, motor, register, address, found, expected. Raises a CoreError when
        the bus fails, ValueError for an unknown mode.
        """
    def start(self) -> None:
        """Start the loop thread (opens the bus first if needed)."""
    def stop(self) -> None:
        """Stop the loop thread and wait for it; goals stay where they are."""
    def close(self) -> None:
        """Stop the loop and release the port."""
    @property
    def running(self) -> bool:
        """Whether the loop thread runs."""
    @property
    def sim(self) -> SimBus | None:
        """The simulated bus the loop drives (to inject faults into), or None on a serial port."""
    @property
    def exit_reason(self) -> str | None:
        """Why the loop thread ended on its own: its error, or the message of its panic.

        None while it runs, after a requested stop, and before the first start.
        """
    def snapshot(self) -> Snapshot | None:
        """Return the latest snapshot, or None before the first read."""
    def wait_snapshot(self, after_seq: int, timeout_s: float) -> Snapshot | None:
        """Wait (without the GIL) for a snapshot newer than after_seq; None on timeout.

        A negative after_seq returns the latest snapshot at once, or waits for the first.
        """
    def set_goals(self, goals: Mapping[str, float]) -> None:
        """Set streamed targets by joint name; the latest wins.

        The loop moves each goal toward its target every tick within the joint's velocity
        and acceleration limits, so a step never reaches a motor. Raises LimitError (and sets
        nothing) when any name is unknown, any value is not finite or outside its limits, and
        MotionError ("move_running: ...") while a move runs.
        """
    @property
    def motion_limits(self) -> dict[str, tuple[float, float]]:
        """Per joint: (max velocity rad/s, max acceleration rad/s²)."""
    def set_automatic_body_yaw(self, enabled: bool) -> None:
        """Whether the gotos' IK may turn the body (the vendor's automatic body yaw)."""
    def goto(
        self,
        move_id: str,
        duration: float,
        *,
        interpolation: str = "minjerk",
        head: HeadPose | None = None,
        body_yaw: float | None = None,
        antennas: tuple[float, float] | None = None,
        joints: Mapping[str, float] | None = None,
    ) -> str:
        """Start a goto from the present state; return its id (move_id, or a new one if "").

        The head is interpolated in the base frame (translation linearly, yaw as a scalar and
        the rest by slerp, as the vendor's), then solved by IK every tick; antennas, body yaw
        and joints linearly; all under the time warp ``interpolation`` (linear, minjerk,
        ease_in_out, cartoon). The whole path is checked before anything moves: MotionError
        names its first failing time. A running move is cancelled by the new one.
        """
    def joint_trajectory(
        self,
        move_id: str,
        names: Sequence[str],
        points: Sequence[
            tuple[float, Sequence[float], Sequence[float] | None, Sequence[float] | None]
        ],
    ) -> str:
        """Run a joint trajectory: points of (time_from_start s, positions, velocities or None,
        accelerations or None); cubic between points with velocities (estimated when not
        given), quintic when accelerations are given too. Checked whole before it starts."""
    def head_trajectory(self, move_id: str, points: Sequence[tuple[float, HeadPose]]) -> str:
        """Run head poses at times from start; each segment a min-jerk goto. Checked whole."""
    def wake_up(self, move_id: str) -> str:
        """The vendor's wake up: to the neutral head and antennas, then a 20° roll and back."""
    def goto_sleep(self, move_id: str) -> str:
        """The vendor's sleep: to the sleep pose, then torque off (the robot rests limp)."""
    def stop_move(self) -> str | None:
        """End the running move where it is (cancelled); return its id, or None if none ran."""
    def running_move(self) -> dict[str, Any] | None:
        """The running move: id, kind, elapsed (s) and duration (s); None when none runs."""
    def take_move_events(self) -> list[dict[str, Any]]:
        """Return and forget the move events since the last call, oldest first.

        Each: id, kind, event (started, completed, cancelled, failed), reason, time (wall
        clock, s) and duration (s).
        """
    def set_torque(self, enabled: bool) -> None:
        """Enable or disable torque on every motor; enabling never moves one.

        Enabling reads each motor's present position, writes it to the goal register, drops
        the queued goals, and only then enables torque. A motor whose position cannot be read
        (or whose goal write is not acknowledged) is left as it was, and BusError names it:
        "torque left off on stewart_1 (id 11): present position unreadable: ...".
        """
    def reboot(self, ids: Sequence[int] | None = None) -> None:
        """Reboot motors (all when ids is None) to clear hardware errors."""
    def stats(self) -> LoopStats: ...
