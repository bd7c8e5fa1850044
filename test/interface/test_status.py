"""The diagnostic status names and keys, and the dashboard's generated copy of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reachy_mini_ros.interface import status

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "web" / "src" / "generated" / "status.ts"


def test_dashboard_status_constants_are_up_to_date() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "reachy_mini_ros.interface.status", "--typescript"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    assert printed == GENERATED.read_text(), (
        "web/src/generated/status.ts is stale: run `python -m reachy_mini_ros.interface.status "
        "--typescript > web/src/generated/status.ts`"
    )


def test_status_names_are_the_ones_diagnostic_updater_publishes() -> None:
    # diagnostic_updater names a task's status "<node name>: <task name>"; the analyzers
    # (config/analyzers.yaml) and operators' tools know these names.
    assert status.BUS_STATUS == "hardware_node: Bus"
    assert status.RUST_CORE_STATUS == "hardware_node: Rust core"
    assert status.COMMAND_PATH_STATUS == "hardware_node: Command path"
    assert status.MOTOR_STATUS_PREFIX + "stewart_1" == "hardware_node: Motor stewart_1"
    assert status.BRIDGE_STATUS_PREFIX + "database" == "bridge_node: database"


def test_every_key_class_names_distinct_keys() -> None:
    for cls in status.KEY_CLASSES:
        values = list(status.keys(cls).values())
        assert values, cls.__name__
        assert len(set(values)) == len(values), cls.__name__
