"""Say how the hardware node took each command, so that its sender can tell the user.

The hardware node publishes one ``diagnostic_msgs/DiagnosticStatus`` per joint or head pose
command on ``/reachy_mini/command_results``: ``name`` is the command (``joints`` or
``head_pose``), ``level`` OK when it was accepted and ERROR when it was refused, ``message``
the reason, and the value ``stamp`` the command's header stamp, which identifies it. The
bridge waits for it after a head pose, which only the kinematics can check for reach.
"""

from __future__ import annotations

TOPIC = "/reachy_mini/command_results"
STAMP_KEY = "stamp"
ACCEPTED = "accepted"


def stamp_text(sec: int, nanosec: int) -> str:
    """Return the text form of a header stamp used as the command's key."""
    return f"{sec}.{nanosec:09d}"
