"""Hold the bridge's settings, read from ROS parameters and the environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reachy_mini_ros.db.url import default_data_dir

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# A body or WebSocket message larger than this is refused; commands are a few hundred bytes.
MAX_MESSAGE_BYTES = 64 * 1024


@dataclass
class BridgeConfig:
    """Settings of one bridge process (the `bridge_node` section of the parameter file)."""

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    debug: bool = False
    database_url: str = ""
    api_token: str = ""
    cors_origins: list[str] = field(default_factory=list)
    health_check_interval: float = 30.0
    web_dist: str = ""
    # Highest WebSocket push rate; /joint_states carries a new reading at most at the loop rate.
    max_rate_hz: float = 200.0
    # Age after which /joint_states or /diagnostics count as stale (5 missed 1 Hz diagnostics).
    stale_after_s: float = 5.0
    events_max_age_s: float = 30 * 24 * 3600.0
    telemetry_max_age_s: float = 7 * 24 * 3600.0
    data_dir: Path = field(default_factory=default_data_dir)
    # The vendor SDK's surface (bridge/sdk/): peers outside loopback allowed to command it,
    # as CIDR networks (checked at start), and the mDNS announcement as the vendor's daemon.
    sdk_trusted_networks: list[str] = field(default_factory=list)
    sdk_mdns: bool = False

    @property
    def is_loopback(self) -> bool:
        """Return True when the server only listens on this machine."""
        return self.api_host in LOOPBACK_HOSTS or self.api_host.startswith("127.")
