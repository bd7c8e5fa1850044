"""A motor flash at configure reaches the bridge's audit log over ROS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from support import Stack, running_stack, wait_for

from reachy_mini_ros.interface.share import default_params_file


def factory_fresh_params(tmp_path: Path) -> Path:
    """Write the shipped parameter file with factory-fresh simulated motors."""
    params = yaml.safe_load(default_params_file().read_text())
    params["hardware_node"]["ros__parameters"]["sim_factory_fresh"] = True
    path = tmp_path / "factory_fresh.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def motor_setup_events(stack: Stack) -> list[dict[str, Any]] | None:
    """Return the motor_setup events of the bridge's audit log, or None while there are none."""
    response = stack.get("/api/events", params={"kind": "motor_setup"})
    items = list(response.json()["items"]) if response.status_code == 200 else []
    return items or None


def test_bridge_records_the_flash_of_factory_fresh_motors(tmp_path: Path) -> None:
    params = factory_fresh_params(tmp_path)
    with running_stack(tmp_path, "--params-file", str(params)) as stack:
        events = wait_for(lambda: motor_setup_events(stack), 30.0, "the motor_setup event")
    (event,) = events
    assert event["source"] == "/hardware_node"
    assert event["level"] == 1
    assert event["message"].startswith("motor setup: flashed ")
    details = event["details"]
    # stewart_1's homing offset goes from the factory's 0 to the table's +1024.
    assert details["stewart_1.homing_offset"] == "0 -> 1024"
    assert details["motors"].count(",") == 8
