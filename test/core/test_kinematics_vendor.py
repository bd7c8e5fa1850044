"""Compare our head kinematics with the vendor's AnalyticalKinematics on random poses.

2,000 seeded poses inside the envelope (translation ±30 mm, roll and pitch ±40°, head yaw
within ±65° of a body yaw in ±160°) go to the vendor's engine (reachy_mini 1.13.0, in
.venv-vendor) and to ours. Run with ``-s`` or ``-rA`` to see the counts.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from kinematics_compare import rotation_error, translation_error
from vendor_kinematics import random_cases, vendor_answers, vendor_stewart_angles
from vendor_support import VENDOR_VERSION

import reachy_mini_core_rs as core

COUNT = 2000
SEED = 20260113


@pytest.fixture(scope="module")
def compared() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Return each random case with the vendor's answer."""
    cases = random_cases(COUNT, SEED)
    answer = vendor_answers(cases)
    assert answer["version"] == VENDOR_VERSION
    return list(zip(cases, answer["results"], strict=True))


def pose_of(case: dict[str, Any]) -> core.HeadPose:
    """Return the case's head pose."""
    return core.HeadPose.from_matrix(case["head"])


def test_stewart_angles_agree_with_the_vendor_wherever_it_has_them(
    compared: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    worst = 0.0
    checked = 0
    for case, vendor in compared:
        ours = core.stewart_angles(pose_of(case), case["body_yaw"])
        for k, (a, b) in enumerate(zip(ours, vendor["angles"], strict=True)):
            if b is None:
                continue
            checked += 1
            assert math.isfinite(a) and abs(a - b) < 1e-5, (case, k, ours, vendor["angles"])
            worst = max(worst, abs(a - b))
    print(f"\nstewart angles: {checked} compared, worst difference {worst:.2e} rad")
    assert checked > COUNT


def test_reachability_agrees_with_the_vendor(
    compared: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    agree = 0
    disagree: list[str] = []
    reachable = unreachable = limited = 0
    for case, vendor in compared:
        vendor_reachable = None not in vendor["angles"]
        pose = pose_of(case)
        raw = core.stewart_angles(pose, case["body_yaw"])
        ours_reachable = not any(math.isnan(a) for a in raw)
        try:
            core.inverse_kinematics(pose, case["body_yaw"])
            refused = ""
        except core.KinematicsError as e:
            refused = str(e)
        out_of_reach = "out of reach" in refused
        if vendor_reachable and refused.startswith("head pose needs stewart_"):
            limited += 1
        if vendor_reachable == ours_reachable == (not out_of_reach):
            agree += 1
        else:
            disagree.append(f"{case} vendor={vendor['angles']} ours={refused or 'accepted'}")
        reachable += vendor_reachable
        unreachable += not vendor_reachable
    print(
        f"\nreachability: {agree}/{len(compared)} agree; vendor reachable {reachable}, "
        f"unreachable {unreachable}; refused by our joint limits (vendor finite): {limited}"
    )
    for line in disagree:
        print("disagree:", line)
    assert agree >= 0.995 * len(compared)
    # Both answers must be exercised, or the comparison proves little.
    assert reachable > COUNT // 4 and unreachable > COUNT // 10


def test_forward_of_the_vendor_angles_agrees_with_the_vendor(
    compared: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    solved: list[tuple[dict[str, Any], dict[str, Any], list[list[float]]]] = []
    failed: list[str] = []
    for case, vendor in compared:
        if vendor["fk"] is None:
            continue
        try:
            head = core.forward_kinematics(vendor["angles"], case["body_yaw"]).matrix()
        except core.KinematicsError as e:
            failed.append(f"{case}: {e}")
            continue
        solved.append((case, vendor, head))
    assert not failed, failed[:5]
    assert len(solved) > COUNT // 4
    # The vendor's IK of our pose gives back its angles: our pose is exact on its model.
    back = vendor_stewart_angles([{"head": h, "body_yaw": c["body_yaw"]} for c, _, h in solved])
    worst = {"ik": 0.0, "vendor m": 0.0, "vendor rad": 0.0, "pose m": 0.0, "pose rad": 0.0}
    other_pose = 0
    for (case, vendor, head), angles in zip(solved, back, strict=True):
        ik_error = max(abs(a - b) for a, b in zip(angles, vendor["angles"], strict=True))
        vendor_errors = (translation_error(head, vendor["fk"]), rotation_error(head, vendor["fk"]))
        pose_errors = (translation_error(head, case["head"]), rotation_error(head, case["head"]))
        # Our FK stops at 1e-10 m of rod residual, a few 1e-9 rad at the 40 mm arms.
        assert ik_error < 1e-7, (case, head, angles)
        # The vendor's FK stops once the rods fit to 1e-6 m; in rotation that leaves it up to
        # about 1.3e-4 rad from the exact pose (median 1.7e-5 rad over these poses).
        assert vendor_errors[0] < 1e-5 and vendor_errors[1] < 2e-4, (case, head, vendor["fk"])
        if translation_error(vendor["fk"], case["head"]) > 1e-4:
            # Two poses share these angles, and both FKs, from neutral, reach the other one.
            other_pose += 1
        else:
            assert pose_errors[0] < 1e-5 and pose_errors[1] < 1e-5, (case, head)
            worst["pose m"] = max(worst["pose m"], pose_errors[0])
            worst["pose rad"] = max(worst["pose rad"], pose_errors[1])
        worst["ik"] = max(worst["ik"], ik_error)
        worst["vendor m"] = max(worst["vendor m"], vendor_errors[0])
        worst["vendor rad"] = max(worst["vendor rad"], vendor_errors[1])
    print(
        f"\nforward: {len(solved)} compared, {other_pose} reach another pose with the same "
        f"angles (as the vendor's FK does); worst: "
        + ", ".join(f"{k} {v:.1e}" for k, v in worst.items())
    )
    assert other_pose < len(solved) // 100


def test_automatic_body_yaw_agrees_with_the_vendor(
    compared: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    moved = 0
    for case, vendor in compared:
        got = core.automatic_body_yaw(pose_of(case), case["body_yaw"])
        assert got == pytest.approx(vendor["automatic_body_yaw"], abs=1e-12), case
        moved += abs(got - case["body_yaw"]) > 1e-9
    # Relative yaws are drawn within ±65° and body yaws within ±160°: the rule rarely acts,
    # except through roll and pitch, which change the yaw it reads from R01 and R00.
    print(f"\nautomatic body yaw: moved the body in {moved}/{len(compared)} poses")
