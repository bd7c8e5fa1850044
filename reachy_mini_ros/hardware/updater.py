"""Publish diagnostic tasks with diagnostic_updater's Updater, or the same way without it.

:class:`FallbackUpdater` sends the same names, levels, hardware ids and key/values as the
Updater, for installs without the diagnostic_updater package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from reachy_mini_ros.hardware.diagnostics import ERROR, OK


class FallbackUpdater:
    """Publish diagnostic tasks as diagnostic_updater's Updater does, without the package.

    Same topic, same parameters (``diagnostic_updater.period`` and ``.use_fqn``), same status
    names (``<node name>: <task name>``), same hardware id and the same "Node starting up"
    status when a task is added.
    """

    def __init__(self, node: Any, period: float = 1.0) -> None:
        self.node = node
        self.publisher = node.create_publisher(DiagnosticArray, "/diagnostics", 1)
        self.period = float(node.declare_parameter("diagnostic_updater.period", period).value)
        self.timer = node.create_timer(self.period, self.update)
        self.hwid = ""
        self.tasks: list[tuple[str, Callable[[Any], Any]]] = []
        fqn = "diagnostic_updater.use_fqn"
        use_fqn = (
            node.get_parameter(fqn).value
            if node.has_parameter(fqn)
            else node.declare_parameter(fqn, False).value
        )
        self.node_name = (
            f"{node.get_namespace()}/{node.get_name()}" if use_fqn else node.get_name()
        )

    def setHardwareID(self, hwid: str) -> None:  # noqa: N802 - the Updater's name
        """Set the hardware id of every status."""
        self.hwid = hwid

    def add(self, name: str, fn: Callable[[Any], Any]) -> None:
        """Add a task and publish that the node is starting up."""
        self.tasks.append((name, fn))
        starting = StatusBuilder(name=name)
        starting.summary(OK, "Node starting up")
        self.publish([starting])

    def update(self) -> None:
        """Run every task and publish their statuses."""
        statuses = []
        for name, fn in self.tasks:
            stat = StatusBuilder(name=name, hardware_id=self.hwid)
            stat.summary(ERROR, "No message was set")
            statuses.append(fn(stat))
        self.publish(statuses)

    def force_update(self) -> None:
        """Publish now."""
        self.update()

    def publish(self, statuses: Sequence[DiagnosticStatus]) -> None:
        """Prefix the names with the node name and publish one array."""
        array = DiagnosticArray()
        array.header.stamp = self.node.get_clock().now().to_msg()
        for stat in statuses:
            out = DiagnosticStatus()
            out.name = f"{self.node_name}: {stat.name}"
            out.level = stat.level
            out.message = stat.message
            out.hardware_id = stat.hardware_id
            out.values = list(stat.values)
            array.status.append(out)
        self.publisher.publish(array)

    def destroy(self) -> None:
        """Release the timer and the publisher."""
        self.node.destroy_timer(self.timer)
        self.node.destroy_publisher(self.publisher)


class StatusBuilder(DiagnosticStatus):
    """A DiagnosticStatus with the summary/add calls of DiagnosticStatusWrapper."""

    def summary(self, *args: Any) -> None:
        """Set level and message, from (level, message) or from another status."""
        if len(args) == 1:
            self.level = args[0].level
            self.message = args[0].message
        else:
            self.level = args[0]
            self.message = str(args[1])

    def add(self, key: str, val: str) -> None:
        """Append a key/value pair."""
        self.values.append(KeyValue(key=key, value=str(val)))


def make_updater(node: Any, period: float = 1.0) -> Any:
    """Return diagnostic_updater's Updater where it is installed, else a FallbackUpdater."""
    try:
        from diagnostic_updater import Updater
    except ImportError:
        return FallbackUpdater(node, period)
    return Updater(node, period=period)
