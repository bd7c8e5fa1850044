"""Say how the hardware node took each command, so that its sender can tell the user.

The hardware node publishes one ``diagnostic_msgs/DiagnosticStatus`` per joint or head pose
command on ``/reachy_mini/command_results``: ``name`` is the command (``joints`` or
``head_pose``), ``level`` OK when it was accepted and ERROR when it was refused, ``message``
the reason, and the value ``stamp`` the command's header stamp, which identifies it. The
bridge waits for it after a head pose, which only the kinematics can check for reach.

Every command has a deadline: its header stamp plus the hardware node's ``command_deadline_s``.
A command that reaches the hardware node after its deadline is dropped and refused with a
message that starts with ``EXPIRED``. A stamp of zero (``ros2 topic pub`` leaves it empty)
means no deadline: such a command is carried out however late it arrives.
"""

from __future__ import annotations

TOPIC = "/reachy_mini/command_results"
STAMP_KEY = "stamp"
ACCEPTED = "accepted"
EXPIRED = "expired"
# Default of the hardware node's command_deadline_s, in seconds.
DEFAULT_DEADLINE_S = 1.0


def stamp_text(sec: int, nanosec: int) -> str:
    """Return the text form of a header stamp used as the command's key."""
    return f"{sec}.{nanosec:09d}"
