"""Write test/core/data/vendor_kinematics_<version>.json from the vendor's kinematics.

Run from the repository root with the project's venv (the vendor's code runs in .venv-vendor):

    .venv/bin/python test/core/make_vendor_kinematics_table.py

The table lets test_kinematics_table.py check our kinematics against the vendor's answers on a
machine without the vendor's venv.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from vendor_kinematics import pose_matrix, random_cases, vendor_answers  # noqa: E402
from vendor_support import VENDOR_VERSION  # noqa: E402

# Poses a reader can check by eye, then seeded random ones across the envelope.
NAMED = [
    ("neutral", (0.0, 0.0, 0.0, 0.0, 0.0, 0.0), 0.0),
    ("lifted 10 mm", (0.0, 0.0, 0.01, 0.0, 0.0, 0.0), 0.0),
    ("lowered 20 mm", (0.0, 0.0, -0.02, 0.0, 0.0, 0.0), 0.0),
    ("roll 20°", (0.0, 0.0, 0.0, math.radians(20), 0.0, 0.0), 0.0),
    ("pitch -25°", (0.0, 0.0, 0.0, 0.0, math.radians(-25), 0.0), 0.0),
    ("head and body turned 0.5 rad", (0.0, 0.0, 0.0, 0.0, 0.0, 0.5), 0.5),
    ("neutral head over a body at 0.7 rad", (0.0, 0.0, 0.0, 0.0, 0.0, 0.0), 0.7),
    ("head yaw 86° from the body", (0.0, 0.0, 0.0, 0.0, 0.0, 1.5), 0.0),
    ("beyond the rods", (0.0, 0.0, 0.03, 0.6, 0.6, 0.0), 0.0),
]
RANDOM = 41
SEED = 113


def main() -> None:
    """Ask the vendor about the poses and write the table."""
    cases = [
        {"name": name, "head": pose_matrix(*pose), "body_yaw": body_yaw}
        for name, pose, body_yaw in NAMED
    ]
    for k, case in enumerate(random_cases(RANDOM, SEED)):
        cases.append({"name": f"random {k}", **case})
    answer = vendor_answers([{"head": c["head"], "body_yaw": c["body_yaw"]} for c in cases])
    if answer["version"] != VENDOR_VERSION:
        raise SystemExit(f"vendor venv has reachy_mini {answer['version']}, not {VENDOR_VERSION}")
    table = {
        "vendor": f"reachy_mini {answer['version']} (PyPI), AnalyticalKinematics",
        "generated_by": "test/core/make_vendor_kinematics_table.py",
        "conventions": (
            "head: 4x4 transform of the head in the base frame, identity = neutral, metres; "
            "angles: stewart_1..6 from ik(head, body_yaw) with automatic_body_yaw=False, null "
            "where the vendor gives NaN; automatic_body_yaw: the body yaw of ik() with "
            "automatic_body_yaw=True; fk: the vendor's Newton FK of the angles, followed "
            "from neutral in 40 steps, then stepped until it stops moving"
        ),
        "cases": [
            {**case, **result} for case, result in zip(cases, answer["results"], strict=True)
        ],
    }
    path = HERE / "data" / f"vendor_kinematics_{answer['version']}.json"
    path.write_text(json.dumps(table, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
