"""Shared by the hardware node tests that run the node in a process of its own."""

from __future__ import annotations

from pathlib import Path

from support import BIN, Process, start_process


def start_hardware_node(log_dir: Path, domain_id: int) -> Process:
    """Run one hardware node on the simulated bus, with diagnostics every 0.5 s."""
    return start_process(
        "hardware_node",
        [str(BIN / "hardware_node"), "--ros-args", "-p", "diagnostic_updater.period:=0.5"],
        log_dir,
        {"ROS_DOMAIN_ID": str(domain_id)},
    )
