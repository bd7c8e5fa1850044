"""The bridge announces itself over mDNS as the vendor's daemon does (sdk_mdns).

A real bridge process registers the record on loopback; this test resolves it with zeroconf
as a browser on the network would, and checks the vendor's TXT keys.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from support import BIN, Process, free_port, private_domain, start_process, wait_for
from zeroconf import IPVersion, ServiceInfo, Zeroconf

SERVICE_TYPE = "_reachy-mini._tcp.local."
# The keys of the vendor daemon's TXT record (reachy_mini/utils/discovery.py, 1.13.0).
VENDOR_TXT_KEYS = {
    "version",
    "robot_name",
    "ws_path",
    "address",
    "model",
    "manufacturer",
    "caps",
    "api",
}


def start_bridge(tmp_path: Path, port: int, *params: str) -> Process:
    args = [str(BIN / "bridge_node"), "--ros-args", "-p", f"api_port:={port}"]
    for param in params:
        args += ["-p", param]
    return start_process(
        "bridge",
        args,
        tmp_path / "logs",
        {
            "REACHY_MINI_DATA_DIR": str(tmp_path / "data"),
            "REACHY_MINI_TOKEN": "t" * 32,
            "ROS_DOMAIN_ID": str(private_domain()),
        },
    )


def resolve(timeout_ms: int = 3000) -> ServiceInfo | None:
    zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        return zc.get_service_info(SERVICE_TYPE, f"reachy_mini.{SERVICE_TYPE}", timeout_ms)
    finally:
        zc.close()


def served(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1.0).status_code > 0
    except httpx.HTTPError:
        return False


def test_the_bridge_is_resolved_on_loopback_with_the_vendors_txt_keys(tmp_path: Path) -> None:
    port = free_port()
    bridge = start_bridge(tmp_path, port, "sdk_mdns:=true")
    try:
        wait_for(lambda: served(port), 30.0, "the bridge to serve")
        info = wait_for(resolve, 20.0, "the mDNS record", every=0.2)
        assert info is not None
        assert info.port == port
        assert "127.0.0.1" in info.parsed_addresses()
        txt = info.decoded_properties
        assert set(txt) == VENDOR_TXT_KEYS
        assert txt["ws_path"] == "/ws/sdk" and txt["robot_name"] == "reachy_mini"
        assert txt["address"] == "127.0.0.1" and txt["api"] == "rest+ws"
    finally:
        bridge.stop()


def test_without_sdk_mdns_nothing_is_announced(tmp_path: Path) -> None:
    port = free_port()
    bridge = start_bridge(tmp_path, port)
    try:
        wait_for(lambda: served(port), 30.0, "the bridge to serve")
        assert resolve(1500) is None
    finally:
        bridge.stop()
