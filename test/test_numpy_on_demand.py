"""numpy is imported on first use, and then serves the messages that need it."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import inspect
import sys
import reachy_mini_ros.numpy_on_demand
from geometry_msgs.msg import PoseWithCovariance
from sensor_msgs.msg import CameraInfo, JointState

# What rclpy's logger does at every call: look through sys.modules for its caller's module.
inspect.getframeinfo(sys._getframe())

loaded = "numpy._core" in sys.modules
JointState(name=["a"], position=[1.0])
still_unloaded = "numpy._core" not in sys.modules

info = CameraInfo()
info.k[0] = 2.0
import numpy
covariance = PoseWithCovariance(covariance=numpy.arange(36, dtype=numpy.float64))
try:
    numpy.no_such_attribute
    missing = "no error"
except AttributeError:
    missing = "AttributeError"
print(loaded, still_unloaded, info.k[0], covariance.covariance[35],
      sys.modules["numpy"].ndarray is numpy.ndarray, missing)
"""


def test_numpy_loads_when_a_message_needs_it() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "2.0", "35.0", "True", "AttributeError"]


def test_an_imported_numpy_is_left_alone() -> None:
    script = (
        "import numpy, sys\n"
        "real = sys.modules['numpy']\n"
        "import reachy_mini_ros.numpy_on_demand\n"
        "print(sys.modules['numpy'] is real)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
