"""Helpers of the ROS integration tests: package paths, the built core, the analyzers file."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from reachy_mini_ros.bringup import ANALYZERS_FILE, NODES

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
# The parameters of the GenericAnalyzers in the file. Statuses are grouped by `startswith`
# alone; `expected` names the statuses that must be there, `remove_prefix` shortens them.
ANALYZER_KEYS = {"type", "path", "startswith", "remove_prefix", "expected", "timeout"}


def load_analyzers() -> dict[str, dict[str, Any]]:
    """Return the analyzers of the file, by their parameter namespace."""
    parameters = yaml.safe_load(ANALYZERS_PATH.read_text())[AGGREGATOR_NAME]["ros__parameters"]
    return {key: value for key, value in parameters.items() if isinstance(value, dict)}
