"""Announce the bridge over mDNS as the vendor's daemon announces itself.

The vendor SDK's discovery browses ``_reachy-mini._tcp.local.`` and reads the TXT record
(robot name, address, WebSocket path...). Behind the bridge parameter ``sdk_mdns`` (off by
default): an announcement tells the whole network where the robot is.
"""

from __future__ import annotations

import socket
from typing import Any

from reachy_mini_ros.bridge.logs import get_logger
from reachy_mini_ros.interface import status

log = get_logger("reachy_mini.bridge.mdns")

SERVICE_TYPE = "_reachy-mini._tcp.local."
ROBOT_NAME = "reachy_mini"
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def primary_address() -> str:
    """Return the address this machine would reach the local network from."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # No packet leaves: connecting a UDP socket only picks the outgoing interface.
        probe.connect(("224.0.0.251", 5353))
        address: str = probe.getsockname()[0]
        return address
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def txt_record(address: str, robot_name: str = ROBOT_NAME) -> dict[str, str]:
    """Return the TXT keys of the vendor's announcement, with the bridge's values.

    The bridge serves motion only: no camera, microphone, speaker or apps manager.
    """
    return {
        "version": status.PACKAGE_VERSION,
        "robot_name": robot_name,
        "ws_path": "/ws/sdk",
        "address": address,
        "model": "Reachy Mini (ROS 2 bridge)",
        "manufacturer": "Pollen Robotics",
        "caps": "motion",
        "api": "rest+ws",
    }


class MdnsAnnouncement:
    """The bridge's service record, registered while the bridge runs."""

    def __init__(self, host: str, port: int, robot_name: str = ROBOT_NAME) -> None:
        self.host = host
        self.port = port
        self.robot_name = robot_name
        self._zeroconf: Any = None
        self._info: Any = None

    def start(self) -> None:
        """Register the record (on the bind address's interface, or on all of them)."""
        from zeroconf import InterfaceChoice, IPVersion, ServiceInfo, Zeroconf

        wildcard = self.host in WILDCARD_HOSTS
        address = primary_address() if wildcard else self.host
        interfaces: Any = InterfaceChoice.All if wildcard else [address]
        self._zeroconf = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        self._info = ServiceInfo(
            SERVICE_TYPE,
            name=f"{self.robot_name}.{SERVICE_TYPE}",
            port=self.port,
            properties=txt_record(address, self.robot_name),
            server=f"{socket.gethostname()}.local.",
            parsed_addresses=[address],
        )
        self._zeroconf.register_service(self._info, allow_name_change=True)
        log.info("mdns_registered", name=self._info.name, address=address, port=self.port)

    def stop(self) -> None:
        """Withdraw the record."""
        if self._zeroconf is None:
            return
        try:
            self._zeroconf.unregister_service(self._info)
        finally:
            self._zeroconf.close()
            self._zeroconf = None
