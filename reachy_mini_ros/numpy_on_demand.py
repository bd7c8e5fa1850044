"""Import numpy on first use instead of with the ROS message packages.

Importing one message of ``sensor_msgs`` or ``geometry_msgs`` imports every message of the
package, and the few with fixed-size arrays (``CameraInfo``, ``PoseWithCovariance``...) import
numpy at module level. The nodes never build those messages, yet numpy would cost each node
about 11 MB of resident memory. The nodes import this module before rclpy: it puts a stand-in
in ``sys.modules``, and the first attribute read on the stand-in imports the real numpy, which
then serves every reader, the stand-in included. When numpy is already imported, nothing
changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

NAME = "numpy"
_lock = threading.Lock()


def _install() -> None:
    if NAME in sys.modules:
        return
    spec = importlib.util.find_spec(NAME)
    if spec is None:
        return
    stand_in = types.ModuleType(NAME, "numpy, imported on first use")
    # rclpy's logger looks for its caller's module through inspect, which reads __file__ of
    # every module in sys.modules: answer that without importing numpy.
    stand_in.__file__ = spec.origin

    def load(attribute: str) -> Any:
        with _lock:
            if sys.modules.get(NAME) is stand_in:
                del sys.modules[NAME]
                try:
                    real = importlib.import_module(NAME)
                except BaseException:
                    sys.modules[NAME] = stand_in
                    raise
                # Later reads find everything, numpy's own __getattr__ included, directly.
                vars(stand_in).update(vars(real))
        return getattr(sys.modules[NAME], attribute)

    stand_in.__getattr__ = load  # type: ignore[method-assign]
    sys.modules[NAME] = stand_in


_install()
