"""The diagnostic status names and keys, and the dashboard's generated copy of them."""

from __future__ import annotations

from pathlib import Path

from support import assert_generated_file_is_current

from reachy_mini_ros.interface import status

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "web" / "src" / "generated" / "status.ts"


def test_dashboard_status_constants_are_up_to_date() -> None:
    assert_generated_file_is_current(GENERATED, "reachy_mini_ros.interface.status", "--typescript")


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


def test_the_package_version_is_said_once() -> None:
    import reachy_mini_ros

    setup = (Path(__file__).resolve().parents[2] / "setup.py").read_text()
    assert f'version="{status.PACKAGE_VERSION}"' in setup
    assert reachy_mini_ros.__version__ == status.PACKAGE_VERSION
