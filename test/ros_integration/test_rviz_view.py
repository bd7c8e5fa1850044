"""config/reachy_mini.rviz shows the robot model, its frames and a grid, from the URDF's root."""

from __future__ import annotations

from typing import Any

import yaml
from integration_support import ROOT
from urdf_parser_py.urdf import URDF

from reachy_mini_ros.bringup import RVIZ_FILE, URDF_FILE


def load_view() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "config" / RVIZ_FILE).read_text()))


def displays_by_class(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["Class"]: d for d in view["Visualization Manager"]["Displays"]}


def test_rviz_fixed_frame_is_the_urdf_root() -> None:
    root = URDF.from_xml_string((ROOT / "urdf" / URDF_FILE).read_text()).get_root()
    assert load_view()["Visualization Manager"]["Global Options"]["Fixed Frame"] == root


def test_rviz_shows_robot_model_tf_and_grid_enabled() -> None:
    displays = displays_by_class(load_view())
    for kind in ("RobotModel", "TF", "Grid"):
        assert displays[f"rviz_default_plugins/{kind}"]["Enabled"] is True, kind


def test_rviz_robot_model_reads_the_latched_robot_description_topic() -> None:
    model = displays_by_class(load_view())["rviz_default_plugins/RobotModel"]
    assert model["Description Source"] == "Topic"
    topic = model["Description Topic"]
    assert topic["Value"] == "/robot_description"
    # robot_state_publisher publishes it once, transient local: a volatile reader started
    # later would never get it.
    assert topic["Durability Policy"] == "Transient Local"
