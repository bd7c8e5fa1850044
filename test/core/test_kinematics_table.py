"""Check our kinematics against the vendor's answers stored in test/core/data.

The table was written by make_vendor_kinematics_table.py from reachy_mini 1.13.0's
AnalyticalKinematics; this test needs no vendor venv.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from kinematics_compare import rotation_error, translation_error

import reachy_mini_core_rs as core

TABLE = Path(__file__).with_name("data") / "vendor_kinematics_1.13.0.json"


def cases() -> list[dict[str, Any]]:
    """Return the table's cases."""
    table: dict[str, Any] = json.loads(TABLE.read_text())
    assert table["vendor"].startswith("reachy_mini 1.13.0")
    return list(table["cases"])


def ids() -> list[str]:
    """Name each case."""
    return [case["name"] for case in cases()]


def test_table_covers_reachable_and_unreachable_poses() -> None:
    reachable = [c for c in cases() if None not in c["angles"]]
    assert 20 <= len(reachable) < len(cases())


@pytest.mark.parametrize("case", cases(), ids=ids())
def test_stewart_angles_match_the_vendor_table(case: dict[str, Any]) -> None:
    pose = core.HeadPose.from_matrix(case["head"])
    got = core.stewart_angles(pose, case["body_yaw"])
    for ours, vendor in zip(got, case["angles"], strict=True):
        if vendor is None:
            assert math.isnan(ours), got
        else:
            assert ours == pytest.approx(vendor, abs=1e-9), got


@pytest.mark.parametrize("case", cases(), ids=ids())
def test_automatic_body_yaw_matches_the_vendor_table(case: dict[str, Any]) -> None:
    pose = core.HeadPose.from_matrix(case["head"])
    got = core.automatic_body_yaw(pose, case["body_yaw"])
    assert got == pytest.approx(case["automatic_body_yaw"], abs=1e-12)


@pytest.mark.parametrize("case", [c for c in cases() if c["fk"] is not None], ids=str)
def test_forward_of_the_vendor_angles_matches_the_vendor_table(case: dict[str, Any]) -> None:
    head = core.forward_kinematics(case["angles"], case["body_yaw"]).matrix()
    # The pose the angles came from: exact up to our solver's 1e-10 m of rod residual.
    assert translation_error(head, case["head"]) < 1e-8
    assert rotation_error(head, case["head"]) < 1e-7
    # The vendor's FK stops once the rods fit to 1e-6 m, which leaves it up to about 5e-5 rad
    # from the exact pose (4.1e-5 rad of yaw for the neutral head over a body at 0.7 rad).
    assert translation_error(head, case["fk"]) < 1e-5
    assert rotation_error(head, case["fk"]) < 1e-4
