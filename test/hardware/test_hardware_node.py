"""The hardware node in its own process, observed and commanded over real DDS."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import PoseStamped
from hardware_support import start_hardware_node
from sensor_msgs.msg import JointState
from std_srvs.srv import SetBool
from support import (
    BIN,
    Process,
    RosClient,
    TopicRecorder,
    call_service,
    diagnostic_statuses,
    private_domain,
    start_process,
    status_values,
    wait_for,
)

from reachy_mini_ros.interface import command_results
from reachy_mini_ros.interface.joints import (
    HEAD_POSE_FRAME,
    HEAD_POSE_JOINT_NAMES,
    MOTOR_JOINT_NAMES,
)
from reachy_mini_ros.interface.rotations import rpy_to_quaternion

core = pytest.importorskip("reachy_mini_core_rs")

EXPECTED_STATUSES = {f"hardware_node: Motor {n}" for n in MOTOR_JOINT_NAMES} | {
    "hardware_node: Bus",
    "hardware_node: Rust core",
    "hardware_node: Command path",
}


@pytest.fixture(scope="module")
def module_domain() -> int:
    return private_domain()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory, module_domain: int) -> Iterator[Process]:
    """Run one hardware node on the simulated bus for the module."""
    process = start_hardware_node(tmp_path_factory.mktemp("hardware_node"), module_domain)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def client(node: Process, module_domain: int) -> Iterator[RosClient]:
    ros = RosClient("hardware_node_test", domain_id=module_domain)
    yield ros
    ros.close()


@pytest.fixture(scope="module")
def joint_states(client: RosClient) -> TopicRecorder:
    recorder = TopicRecorder(client, JointState, "/joint_states", depth=200)
    recorder.wait(30.0, "/joint_states from the hardware node")
    return recorder


@pytest.fixture(scope="module")
def diag(client: RosClient) -> TopicRecorder:
    recorder = TopicRecorder(client, DiagnosticArray, "/diagnostics")
    wait_for(
        lambda: set(diagnostic_statuses(recorder)) >= EXPECTED_STATUSES,
        30.0,
        "every hardware status on /diagnostics",
    )
    return recorder


def position(recorder: TopicRecorder, name: str) -> float:
    msg = recorder.latest()
    return float(msg.position[list(msg.name).index(name)])


def command(client: RosClient, goals: dict[str, float]) -> None:
    """Publish joint goals a few times, as a user script would."""
    pub = client.node.create_publisher(JointState, "/reachy_mini/joint_commands", 10)
    wait_for(lambda: pub.get_subscription_count() > 0, 10.0, "the command subscriber")
    msg = JointState(name=list(goals), position=list(goals.values()))
    for _ in range(3):
        pub.publish(msg)
        time.sleep(0.05)
    client.node.destroy_publisher(pub)


def settled_positions(recorder: TopicRecorder) -> dict[str, float]:
    """Wait until no motor moves any more (the previous test's motion ends) and return them."""

    def still() -> dict[str, float] | None:
        before = {name: position(recorder, name) for name in MOTOR_JOINT_NAMES}
        time.sleep(0.2)
        after = {name: position(recorder, name) for name in MOTOR_JOINT_NAMES}
        moving = any(abs(after[n] - before[n]) > 1e-4 for n in MOTOR_JOINT_NAMES)
        return None if moving else after

    return wait_for(still, 15.0, "the motors to stand still")


def refused_count(diag: TopicRecorder) -> int:
    status = diagnostic_statuses(diag)["hardware_node: Command path"]
    return int(status_values(status)["refused"])


def test_joint_states_carry_the_motor_joints_and_the_head_pose(
    joint_states: TopicRecorder,
) -> None:
    msg = joint_states.latest()
    assert list(msg.name) == list(MOTOR_JOINT_NAMES) + list(HEAD_POSE_JOINT_NAMES)
    assert len(msg.position) == len(msg.velocity) == len(msg.effort) == len(msg.name)
    assert all(math.isfinite(p) for p in msg.position)


def test_joint_states_are_stamped_with_the_loop_read_time(joint_states: TopicRecorder) -> None:
    t0 = time.time()
    wait_for(lambda: len(joint_states.since(t0)) >= 50, 10.0, "50 joint states")
    msgs = joint_states.since(t0)
    stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in msgs]
    assert all(b > a for a, b in itertools.pairwise(stamps)), "stamps must advance"
    # Read on this machine moments before: neither in the future nor seconds old.
    assert abs(stamps[-1] - time.time()) < 1.0


def test_joint_command_moves_the_joint(client: RosClient, joint_states: TopicRecorder) -> None:
    command(client, {"right_antenna": 1.0})
    wait_for(
        lambda: abs(position(joint_states, "right_antenna") - 1.0) < 0.02,
        15.0,
        "right_antenna to reach 1.0 rad",
    )
    command(client, {"right_antenna": 0.0})
    wait_for(
        lambda: abs(position(joint_states, "right_antenna")) < 0.02,
        15.0,
        "right_antenna to come back to 0",
    )


@pytest.mark.parametrize(
    "goals",
    [{"nose": 0.1}, {"left_antenna": math.nan}, {"stewart_4": 1.2}, {"yaw_body": -3.0}],
    ids=["unknown-joint", "nan", "above-limit", "below-limit"],
)
def test_bad_joint_command_is_refused_counted_and_moves_nothing(
    client: RosClient, joint_states: TopicRecorder, diag: TopicRecorder, goals: dict[str, float]
) -> None:
    before = refused_count(diag)
    still = settled_positions(joint_states)
    command(client, goals)
    wait_for(lambda: refused_count(diag) > before, 10.0, "the refusal in diagnostics")
    time.sleep(0.3)
    for name, value in still.items():
        assert position(joint_states, name) == pytest.approx(value, abs=2e-3), name


def test_head_pose_command_moves_the_head(client: RosClient, joint_states: TopicRecorder) -> None:
    pub = client.node.create_publisher(PoseStamped, "/reachy_mini/head_pose_command", 10)
    wait_for(lambda: pub.get_subscription_count() > 0, 10.0, "the head pose subscriber")
    msg = PoseStamped()
    msg.header.frame_id = HEAD_POSE_FRAME
    msg.pose.position.z = 0.01
    q = rpy_to_quaternion(0.0, 0.15, 0.0)
    msg.pose.orientation.x, msg.pose.orientation.y = q[0], q[1]
    msg.pose.orientation.z, msg.pose.orientation.w = q[2], q[3]
    pub.publish(msg)
    wait_for(
        lambda: (
            abs(position(joint_states, "head_z") - 0.01) < 1e-3
            and abs(position(joint_states, "head_pitch") - 0.15) < 5e-3
        ),
        15.0,
        "the head to reach z=10 mm, pitch=0.15 rad",
    )


# The vendor's IK of the neutral head over a body at 0 (reachy_mini 1.13.0, ±2e-5 rad).
VENDOR_NEUTRAL = [0.62655, -0.62654, 0.62654, -0.62654, 0.62654, -0.62654]


def test_head_pose_is_in_the_base_frame(client: RosClient, joint_states: TopicRecorder) -> None:
    head_poses = TopicRecorder(client, PoseStamped, "/reachy_mini/head_pose")
    command(client, {"yaw_body": 0.5})
    # Settled to within a tick (2π/4096 = 1.5e-3 rad): the node solves the head pose for the
    # body yaw it reads when the command comes, so a body still moving would skew the result.
    wait_for(lambda: abs(position(joint_states, "yaw_body") - 0.5) < 1e-3, 15.0, "body at 0.5")
    pub = client.node.create_publisher(PoseStamped, "/reachy_mini/head_pose_command", 10)
    wait_for(lambda: pub.get_subscription_count() > 0, 10.0, "the head pose subscriber")
    msg = PoseStamped()
    msg.header.frame_id = HEAD_POSE_FRAME
    q = rpy_to_quaternion(0.0, 0.0, 0.5)
    msg.pose.orientation.x, msg.pose.orientation.y = q[0], q[1]
    msg.pose.orientation.z, msg.pose.orientation.w = q[2], q[3]
    pub.publish(msg)
    try:
        # Turned with the body, the head needs the Stewart angles of the neutral head.
        wait_for(
            lambda: all(
                abs(position(joint_states, f"stewart_{k + 1}") - a) < 3e-3
                for k, a in enumerate(VENDOR_NEUTRAL)
            ),
            15.0,
            "the Stewart motors at the vendor's neutral angles",
        )
        assert position(joint_states, "head_yaw") == pytest.approx(0.5, abs=5e-3)
        latest = wait_for(head_poses.latest, 10.0, "a head pose")
        assert latest.header.frame_id == HEAD_POSE_FRAME == "base_link"
    finally:
        command(client, {"yaw_body": 0.0})
        wait_for(lambda: abs(position(joint_states, "yaw_body")) < 0.01, 15.0, "body back at 0")


def test_unreachable_head_pose_is_refused(client: RosClient, diag: TopicRecorder) -> None:
    before = refused_count(diag)
    results = TopicRecorder(client, DiagnosticStatus, command_results.TOPIC)
    pub = client.node.create_publisher(PoseStamped, "/reachy_mini/head_pose_command", 10)
    wait_for(lambda: pub.get_subscription_count() > 0, 10.0, "the head pose subscriber")
    wait_for(lambda: client.node.count_publishers(command_results.TOPIC) > 0, 10.0, "the results")
    msg = PoseStamped()
    # A stamp of now: an older one would be dropped as expired before the kinematics look.
    sec, nanosec = divmod(time.time_ns(), 1_000_000_000)
    msg.header.stamp.sec, msg.header.stamp.nanosec = sec, nanosec
    msg.pose.position.z = 0.2  # 20 cm above neutral: far outside the platform's reach
    msg.pose.orientation.w = 1.0
    pub.publish(msg)
    wait_for(lambda: refused_count(diag) > before, 10.0, "the refusal in diagnostics")
    result = wait_for(results.latest, 10.0, "the command's outcome")
    assert (result.name, result.level) == ("head_pose", DiagnosticStatus.ERROR)
    assert "head pose z=0.2000 m is outside" in result.message
    assert status_values(result) == {command_results.STAMP_KEY: f"{sec}.{nanosec:09d}"}


def test_diagnostics_report_every_status_with_hardware_id_and_keys(diag: TopicRecorder) -> None:
    statuses = diagnostic_statuses(diag)
    assert set(statuses) >= EXPECTED_STATUSES
    for name in EXPECTED_STATUSES:
        assert statuses[name].hardware_id == "reachy_mini", name
    motor = status_values(statuses["hardware_node: Motor stewart_2"])
    for key in ("temperature", "voltage", "hardware_error", "torque", "comm_errors"):
        assert key in motor
    bus = status_values(statuses["hardware_node: Bus"])
    assert bus["state"] == "connected"
    assert float(bus["configured_rate_hz"]) == 200.0
    for key in ("achieved_rate_hz", "jitter_p99_ms"):
        assert key in bus
    rust = status_values(statuses["hardware_node: Rust core"])
    assert rust["version"] == core.__version__
    assert rust["loop_running"] == "true"


def test_torque_service_turns_torque_off_and_on(client: RosClient, diag: TopicRecorder) -> None:

    def torque_states() -> set[str]:
        statuses = diagnostic_statuses(diag)
        return {
            status_values(statuses[f"hardware_node: Motor {n}"])["torque"]
            for n in MOTOR_JOINT_NAMES
        }

    for enabled, shown in ((False, "off"), (True, "on")):
        response = call_service(
            client, SetBool, "/reachy_mini/enable_torque", SetBool.Request(data=enabled)
        )
        assert response.success, response.message
        wait_for(lambda s=shown: torque_states() == {s}, 10.0, f"every motor torque {shown}")


def test_a_new_diagnostics_reader_gets_every_status_at_once(tmp_path: Path) -> None:
    """A reader that appears is sent the statuses within a moment, not at the next period."""
    domain = private_domain()
    period_s = 60.0  # no periodic update can fall inside the test
    process = start_process(
        "hardware_node",
        [
            str(BIN / "hardware_node"),
            "--ros-args",
            "-p",
            f"diagnostic_updater.period:={period_s}",
        ],
        tmp_path,
        {"ROS_DOMAIN_ID": str(domain)},
    )
    ros = RosClient("late_reader", domain_id=domain)
    try:
        TopicRecorder(ros, JointState, "/joint_states").wait(30.0, "an active hardware node")
        for _ in range(2):  # a second reader is greeted too, not only the first one
            recorder = TopicRecorder(ros, DiagnosticArray, "/diagnostics")
            wait_for(
                lambda r=recorder: set(diagnostic_statuses(r)) >= EXPECTED_STATUSES,
                3.0,
                f"every hardware status, though the period is {period_s} s",
            )
            statuses = diagnostic_statuses(recorder)
            assert statuses["hardware_node: Rust core"].level == DiagnosticStatus.OK
    finally:
        ros.close()
        process.stop()
