"""The motion layer run by the real control loop on the simulated bus, tick by tick.

Each test reads the loop's snapshots: a snapshot carries the goals of the previous write and
the move time they were computed for, so every tick the test sees can be checked against the
formulas. The interpolation of head poses and the time warps are compared with the vendor's
own functions (reachy_mini 1.13.0, in .venv-vendor).
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
from vendor_support import run_vendor

import reachy_mini_core_rs as core

RATE_HZ = 200.0
PERIOD = 1.0 / RATE_HZ
NAMES = list(core.JOINT_NAMES)
RIGHT, LEFT = NAMES.index("right_antenna"), NAMES.index("left_antenna")
V_MAX, A_MAX = core.DEFAULT_MAX_VELOCITY, core.DEFAULT_MAX_ACCELERATION


@pytest.fixture
def loop() -> Iterator[Any]:
    control = core.ControlLoop(sim=core.SimBus(1_000_000), rate_hz=RATE_HZ)
    control.start()
    control.set_torque(True)
    control.wait_snapshot(-1, 2.0)
    yield control
    control.close()


def record(loop: Any, seconds: float) -> list[Any]:
    """Every snapshot the loop publishes for a while."""
    snapshots = []
    last = loop.snapshot().seq
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        snap = loop.wait_snapshot(last, 0.2)
        if snap is None:
            continue
        snapshots.append(snap)
        last = snap.seq
    return snapshots


def wait_idle(loop: Any, timeout: float = 20.0) -> None:
    """Wait for the running move to end, then for the snapshot after its last write."""
    deadline = time.monotonic() + timeout
    while loop.running_move() is not None:
        assert time.monotonic() < deadline, "the move did not end"
        time.sleep(0.01)
    for _ in range(2):
        loop.wait_snapshot(loop.snapshot().seq, 1.0)


def formula(name: str, t: float) -> float:
    """The vendor's time warps as vendor.md writes them."""
    if name == "linear":
        return t
    if name == "minjerk":
        return 10 * t**3 - 15 * t**4 + 6 * t**5
    if name == "ease_in_out":
        return 2 * t * t if t < 0.5 else 1 - (2 - 2 * t) ** 2 / 2
    c2 = 1.70158 * 1.525
    if t < 0.5:
        return (2 * t) ** 2 * ((c2 + 1) * 2 * t - c2) / 2
    return ((2 * t - 2) ** 2 * ((c2 + 1) * (2 * t - 2) + c2) + 2) / 2


@pytest.mark.parametrize("interpolation", core.INTERPOLATIONS)
def test_each_tick_of_a_goto_follows_its_time_warp_and_it_ends_within_one_period(
    loop: Any, interpolation: str
) -> None:
    start = loop.snapshot().position
    duration = 1.0
    target = (0.6, -0.6)
    move = loop.goto("", duration, interpolation=interpolation, antennas=target)
    snaps = [s for s in record(loop, duration + 0.3) if s.move_id == move]
    # Nearly every tick is seen (the test reads without the GIL, a few may be missed).
    assert len(snaps) >= 0.9 * duration * RATE_HZ, len(snaps)
    worst = 0.0
    for snap in snaps:
        s = formula(interpolation, snap.move_time / duration)
        for k, end in ((RIGHT, target[0]), (LEFT, target[1])):
            want = start[k] + (end - start[k]) * s
            worst = max(worst, abs(snap.goal[k] - want))
    assert worst < 1e-9, worst
    events = loop.take_move_events()
    assert [(e["id"], e["event"]) for e in events] == [(move, "started"), (move, "completed")]
    # The last tick computes the end exactly, and comes within one period of the duration.
    assert snaps[-1].move_time == duration
    assert duration <= events[1]["time"] - events[0]["time"] < duration + PERIOD + 0.002
    assert snaps[-1].goal[RIGHT] == target[0]


def test_the_time_warps_and_the_pose_interpolation_are_the_vendors() -> None:
    rng = random.Random(20261202)
    poses = []
    for _ in range(200):
        a = core.HeadPose(
            *(rng.uniform(-0.02, 0.02) for _ in range(3)),
            rng.uniform(-0.6, 0.6),
            rng.uniform(-0.6, 0.6),
            rng.uniform(-3, 3),
        )
        b = core.HeadPose(
            *(rng.uniform(-0.02, 0.02) for _ in range(3)),
            rng.uniform(-0.6, 0.6),
            rng.uniform(-0.6, 0.6),
            rng.uniform(-3, 3),
        )
        poses.append((a.matrix(), b.matrix(), rng.uniform(-0.2, 1.2)))
    times = [i / 100 for i in range(101)]
    vendor = run_vendor(
        """
import json, sys
import numpy as np
from reachy_mini.utils.interpolation import linear_pose_interpolation, time_trajectory
data = json.load(sys.stdin)
warps = {m: [time_trajectory(t, m) for t in data["times"]] for m in data["methods"]}
poses = [linear_pose_interpolation(np.array(a), np.array(b), s, yaw_as_scalar=True).tolist()
         for a, b, s in data["poses"]]
print(json.dumps({"warps": warps, "poses": poses}))
""",
        {"times": times, "methods": list(core.INTERPOLATIONS), "poses": poses},
    )
    for method, values in vendor["warps"].items():
        for t, want in zip(times, values, strict=True):
            assert abs(core.time_warp(method, t) - want) < 1e-12, (method, t)
    worst = 0.0
    for (a, b, s), want in zip(poses, vendor["poses"], strict=True):
        got = core.interpolate_head_pose(a, b, s)
        rows = zip(got, want, strict=True)
        worst = max(worst, *(abs(g - w) for gr, wr in rows for g, w in zip(gr, wr, strict=True)))
    assert worst < 1e-9, worst


def test_a_goto_whose_path_leaves_the_workspace_is_refused_before_anything_moves(
    loop: Any,
) -> None:
    before = loop.snapshot()
    # A target the head reaches, which the cartoon warp overshoots (s peaks above 1) to a
    # pose out of reach.
    overshoot = max(core.time_warp("cartoon", i / 1000) for i in range(1001))
    identity = core.HeadPose().matrix()
    target = None
    for z in (0.0, 0.01, 0.02, 0.025):
        for roll in (0.3, 0.4, 0.5, 0.6):
            pose = core.HeadPose(z=z, roll=roll)
            beyond = core.HeadPose.from_matrix(
                core.interpolate_head_pose(identity, pose.matrix(), overshoot)
            )
            try:
                core.inverse_kinematics(pose)
            except core.KinematicsError:
                continue
            try:
                core.inverse_kinematics(beyond)
            except core.KinematicsError:
                target = target or pose
    assert target is not None
    with pytest.raises(core.MotionError) as refusal:
        loop.goto("overshoot", 2.0, interpolation="cartoon", head=target)
    refused = str(refusal.value)
    assert refused is not None and refused.startswith("at t="), refused
    assert "of 2.000 s" in refused
    after = record(loop, 0.1)
    assert all(s.move_id is None for s in after)
    assert after[-1].goal == before.goal
    assert loop.take_move_events() == []


def test_a_new_goto_cancels_the_running_one_and_stop_ends_a_move_where_it_is(loop: Any) -> None:
    first = loop.goto("first", 2.0, antennas=(1.0, -1.0))
    time.sleep(0.3)
    second = loop.goto("second", 2.0, antennas=(-1.0, 1.0))
    time.sleep(0.3)
    assert loop.running_move()["id"] == second
    assert loop.stop_move() == second
    for _ in range(2):
        loop.wait_snapshot(loop.snapshot().seq, 1.0)
    held = loop.snapshot().goal
    time.sleep(0.1)
    assert loop.snapshot().goal == held, "the goals stay where the move stopped"
    events = [(e["id"], e["event"], e["reason"]) for e in loop.take_move_events()]
    assert events == [
        (first, "started", ""),
        (first, "cancelled", f"replaced by move {second}"),
        (second, "started", ""),
        (second, "cancelled", "stopped"),
    ]
    assert loop.stop_move() is None


def test_a_streamed_target_is_refused_while_a_move_runs(loop: Any) -> None:
    move = loop.goto("", 1.0, antennas=(0.5, 0.5))
    with pytest.raises(core.MotionError, match=r"^move_running"):
        loop.set_goals({"right_antenna": 0.0})
    wait_idle(loop)
    loop.set_goals({"right_antenna": 0.0})
    assert loop.take_move_events()[-1]["id"] == move


def test_a_streamed_step_from_the_sleep_pose_stays_within_the_limits(loop: Any) -> None:
    loop.goto_sleep("")
    wait_idle(loop)
    assert not any(loop.snapshot().torque_enabled), "asleep, the motors are limp"
    loop.set_torque(True)
    time.sleep(0.05)
    # A step to neutral on every joint at once, as a client streaming the neutral pose sends.
    neutral = [0.0, *core.inverse_kinematics(core.HeadPose()), -0.1745, 0.1745]
    loop.set_goals(dict(zip(NAMES, neutral, strict=True)))
    snaps = record(loop, 1.5)
    goals = [s.goal for s in snaps]
    steps = [[b[k] - a[k] for k in range(len(NAMES))] for a, b in itertools.pairwise(goals)]
    # Gaps between the snapshots the test saw would only make the check looser: keep the
    # consecutive ones.
    seqs = [s.seq for s in snaps]
    consecutive = [i for i in range(len(steps)) if seqs[i + 1] == seqs[i] + 1]
    assert len(consecutive) > 100
    worst_v = max(abs(steps[i][k]) / PERIOD for i in consecutive for k in range(len(NAMES)))
    assert worst_v <= V_MAX * (1 + 1e-9), worst_v
    worst_a = max(
        abs(steps[i + 1][k] - steps[i][k]) / PERIOD**2
        for i in consecutive
        if i + 1 in consecutive
        for k in range(len(NAMES))
    )
    assert worst_a <= A_MAX * (1 + 1e-6), worst_a
    for k, want in enumerate(neutral):
        assert math.isclose(goals[-1][k], want, abs_tol=1e-12), NAMES[k]


def test_a_move_that_would_exceed_the_velocity_limit_is_refused(loop: Any) -> None:
    with pytest.raises(core.MotionError, match="velocity limit"):
        loop.goto("", 0.1, antennas=(2.0, -2.0))
    assert loop.running_move() is None


def test_wake_up_and_goto_sleep_run_and_sleep_leaves_the_motors_limp(loop: Any) -> None:
    loop.wake_up("wake")
    wait_idle(loop)
    snap = loop.snapshot()
    assert math.isclose(snap.goal[RIGHT], -0.1745, abs_tol=1e-9)
    assert math.isclose(snap.goal[LEFT], 0.1745, abs_tol=1e-9)
    for got, want in zip(snap.goal[1:7], core.inverse_kinematics(core.HeadPose()), strict=True):
        assert math.isclose(got, want, abs_tol=1e-9)
    loop.goto_sleep("sleep")
    wait_idle(loop)
    assert not any(loop.snapshot().torque_enabled), loop.take_move_events()
    kinds = [(e["kind"], e["event"]) for e in loop.take_move_events()]
    assert kinds == [
        ("wake_up", "started"),
        ("wake_up", "completed"),
        ("goto_sleep", "started"),
        ("goto_sleep", "completed"),
    ]
    with pytest.raises(core.MotionError, match="torque is off"):
        loop.wake_up("")


def test_trajectories_pass_through_their_points(loop: Any) -> None:
    move = loop.joint_trajectory(
        "",
        ["right_antenna", "left_antenna"],
        [(0.5, [0.4, -0.4], None, None), (1.0, [0.8, 0.0], None, None)],
    )
    snaps = [s for s in record(loop, 1.3) if s.move_id == move]
    at_half = min(snaps, key=lambda s: abs(s.move_time - 0.5))
    assert abs(at_half.move_time - 0.5) < PERIOD
    assert snaps[-1].goal[RIGHT] == 0.8 and snaps[-1].goal[LEFT] == 0.0
    head = loop.head_trajectory("", [(0.5, core.HeadPose(z=0.01)), (1.0, core.HeadPose(yaw=0.3))])
    wait_idle(loop)
    end = loop.snapshot().goal[1:7]
    want = core.inverse_kinematics(core.HeadPose(yaw=0.3))
    assert max(abs(a - b) for a, b in zip(end, want, strict=True)) < 1e-9
    assert [e["event"] for e in loop.take_move_events() if e["id"] == head] == [
        "started",
        "completed",
    ]


def test_the_hardware_nodes_default_limits_are_the_cores() -> None:
    from reachy_mini_ros.interface import moves

    assert moves.DEFAULT_MAX_VELOCITY == core.DEFAULT_MAX_VELOCITY
    assert moves.DEFAULT_MAX_ACCELERATION == core.DEFAULT_MAX_ACCELERATION
    assert tuple(moves.INTERPOLATIONS) == core.INTERPOLATIONS
    assert tuple(moves.KINDS) == core.MOVE_KINDS
