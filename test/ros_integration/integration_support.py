"""Helpers of the ROS integration tests: package paths, the built core, analyzer matching."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from reachy_mini_ros.bringup import ANALYZERS_FILE, NODES
from reachy_mini_ros.interface.joints import MOTOR_JOINT_NAMES

ROOT = Path(__file__).resolve().parents[2]


def core_is_built() -> bool:
    """Return True when the compiled Rust core can be imported (``make core`` built it)."""
    try:
        return importlib.util.find_spec("reachy_mini_core_rs._core") is not None
    except ModuleNotFoundError:
        return False
    except ImportError:  # built but out of step with its package: let the tests show it
        return True


# The running stack needs the compiled core; `make test` builds it before running pytest.
needs_core = pytest.mark.skipif(
    not core_is_built(), reason="the Rust core is not built (run `make core`)"
)

ANALYZERS_PATH = ROOT / "config" / ANALYZERS_FILE
AGGREGATOR_NAME = next(spec.name for spec in NODES if spec.executable == "aggregator_node")
MATCH_RULES = ("expected", "name", "startswith", "contains", "regex")
HARDWARE_STATUSES = {f"hardware_node: Motor {name}" for name in MOTOR_JOINT_NAMES} | {
    "hardware_node: Bus",
    "hardware_node: Rust core",
    "hardware_node: Command path",
}


def load_analyzers() -> dict[str, dict[str, Any]]:
    """Return the analyzers of the file, by their parameter namespace."""
    parameters = yaml.safe_load(ANALYZERS_PATH.read_text())[AGGREGATOR_NAME]["ros__parameters"]
    return {key: value for key, value in parameters.items() if isinstance(value, dict)}


def matches(analyzer: dict[str, Any], name: str) -> bool:
    """Return True when a GenericAnalyzer with these parameters takes the status name."""
    return (
        name in analyzer.get("expected", [])
        or name in analyzer.get("name", [])
        or any(name.startswith(prefix) for prefix in analyzer.get("startswith", []))
        or any(part in name for part in analyzer.get("contains", []))
        or any(re.fullmatch(pattern, name) for pattern in analyzer.get("regex", []))
    )


def groups_of(name: str) -> list[str]:
    """Return the paths of the analyzers that take the status name."""
    return [a["path"] for a in load_analyzers().values() if matches(a, name)]
