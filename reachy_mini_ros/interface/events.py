"""Tell the bridge's audit log what the hardware node did to the robot, over ROS.

The hardware node publishes one ``diagnostic_msgs/DiagnosticStatus`` per event on
``/reachy_mini/events``: ``name`` is the event's kind (``motor_setup`` when it wrote a motor's
configuration), ``hardware_id`` the node that did it, ``level`` its diagnostic level,
``message`` one line for a person, and ``values`` the details, with the key ``time`` for the
wall-clock time it happened. The topic is reliable and keeps the last events for subscribers
that join later (transient local), since a flash happens at configure, often before the
bridge is up.
"""

from __future__ import annotations

TOPIC = "/reachy_mini/events"
# Events kept for late subscribers: one configure flashes at most once, so 20 covers many
# restarts of the hardware node before a bridge connects.
HISTORY_DEPTH = 20
TIME_KEY = "time"
MOTOR_SETUP = "motor_setup"
