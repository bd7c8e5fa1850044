"""Ask the vendor's kinematics engine (reachy_mini 1.13.0, in .venv-vendor) about head poses.

The vendor's ``AnalyticalKinematics`` is the reference: what it answers is what a real robot
driven by the vendor's daemon does. Its forward kinematics is stateful (one Newton step per call
from the previous pose), so each pose is solved from the neutral head over the body and stepped
until the transform stops moving.
"""

from __future__ import annotations

import math
import random
from typing import Any

from vendor_support import run_vendor

Matrix = list[list[float]]

# Runs in the vendor venv; reads {"cases": [{"head": 4x4, "body_yaw": b}, ...]} on stdin.
VENDOR_SCRIPT = r"""
import json, math, sys
import numpy as np
import reachy_mini
from reachy_mini.kinematics.analytical_kinematics import AnalyticalKinematics

plain = AnalyticalKinematics(automatic_body_yaw=False)
auto = AnalyticalKinematics(automatic_body_yaw=True)
offset = plain.head_z_offset
out = []
for case in json.load(sys.stdin)["cases"]:
    head = np.array(case["head"], dtype=float)
    body_yaw = float(case["body_yaw"])
    angles = plain.ik(head, body_yaw)[1:].tolist()
    automatic = float(auto.ik(head, body_yaw)[0])
    fk = None
    if all(math.isfinite(a) for a in angles):
        # Like the daemon tracking a motion: the angles go from neutral to the target in 40
        # steps of 3 Newton iterations, then Newton runs until the transform stops moving.
        # Started cold at the target, its damped steps can land on the platform's other
        # assembly (the head upside down), which the daemon never sees.
        start = np.eye(4)
        start[2, 3] = offset
        plain.kin.reset_forward_kinematics(start.tolist())
        neutral = np.array(plain.ik(np.eye(4), 0.0)[1:])
        target = np.array(angles)
        for s in range(1, 41):
            step = (neutral + (target - neutral) * s / 40).tolist()
            for _ in range(3):
                plain.kin.forward_kinematics(step, body_yaw)
        previous = None
        for _ in range(2000):
            t = np.array(plain.kin.forward_kinematics(angles, body_yaw))
            if previous is not None and np.abs(t - previous).max() < 1e-13:
                break
            previous = t
        t[2, 3] -= offset
        fk = t.tolist()
    out.append({
        "angles": [a if math.isfinite(a) else None for a in angles],
        "automatic_body_yaw": automatic,
        "fk": fk,
    })
print(json.dumps({"version": reachy_mini.__version__, "results": out}))
"""


def pose_matrix(x: float, y: float, z: float, roll: float, pitch: float, yaw: float) -> Matrix:
    """Return the transform of a pose, R = Rz(yaw)·Ry(pitch)·Rx(roll) (the vendor's xyz)."""
    sr, cr = math.sin(roll), math.cos(roll)
    sp, cp = math.sin(pitch), math.cos(pitch)
    sy, cy = math.sin(yaw), math.cos(yaw)
    return [
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, x],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, y],
        [-sp, cp * sr, cp * cr, z],
        [0.0, 0.0, 0.0, 1.0],
    ]


def random_cases(count: int, seed: int) -> list[dict[str, Any]]:
    """Return seeded random poses inside the envelope, each with a body yaw.

    Translation ±0.03 m, roll and pitch ±40°, head yaw within ±65° of a body yaw in ±160°:
    the corners are beyond the rods, so both answers (reachable or not) are exercised.
    """
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        body_yaw = rng.uniform(-math.radians(160), math.radians(160))
        yaw = body_yaw + rng.uniform(-math.radians(65), math.radians(65))
        head = pose_matrix(
            rng.uniform(-0.03, 0.03),
            rng.uniform(-0.03, 0.03),
            rng.uniform(-0.03, 0.03),
            rng.uniform(-math.radians(40), math.radians(40)),
            rng.uniform(-math.radians(40), math.radians(40)),
            math.atan2(math.sin(yaw), math.cos(yaw)),
        )
        cases.append({"head": head, "body_yaw": body_yaw})
    return cases


def vendor_answers(cases: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the vendor's version and, per case, its angles, automatic body yaw and FK."""
    answer: dict[str, Any] = run_vendor(VENDOR_SCRIPT, {"cases": cases})
    return answer


# Runs in the vendor venv: the plain IK only, for {"cases": [{"head", "body_yaw"}, ...]}.
VENDOR_IK_SCRIPT = r"""
import json, math, sys
import numpy as np
from reachy_mini.kinematics.analytical_kinematics import AnalyticalKinematics

plain = AnalyticalKinematics(automatic_body_yaw=False)
out = []
for case in json.load(sys.stdin)["cases"]:
    angles = plain.ik(np.array(case["head"], dtype=float), float(case["body_yaw"]))[1:]
    out.append([a if math.isfinite(a) else None for a in angles.tolist()])
print(json.dumps(out))
"""


def vendor_stewart_angles(cases: list[dict[str, Any]]) -> list[list[float | None]]:
    """Return the vendor's Stewart angles of each case (None where it gives NaN)."""
    answer: list[list[float | None]] = run_vendor(VENDOR_IK_SCRIPT, {"cases": cases})
    return answer
