"""Hardware core of Reachy Mini: Dynamixel bus, control loop and kinematics, in Rust.

The package re-exports the compiled module as it is: its names are listed once, in the
module's own ``__all__`` (and, for type checkers, in ``_core.pyi``).
"""

from reachy_mini_core_rs import _core
from reachy_mini_core_rs._core import *  # noqa: F403

__all__ = list(_core.__all__)
