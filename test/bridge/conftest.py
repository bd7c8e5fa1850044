"""Fixtures of the bridge tests: one bridge process and a stand-in hardware publisher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bridge_support import Bridge, FakeHardware, bridge_domain, running_bridge
from support import RosClient, wait_for


@pytest.fixture(scope="module")
def module_ros() -> Iterator[RosClient]:
    """Give the module one rclpy node, on the bridge tests' domain."""
    with bridge_domain():
        client = RosClient("reachy_mini_bridge_test")
    yield client
    client.close()


@pytest.fixture(scope="module")
def hardware(module_ros: RosClient) -> Iterator[FakeHardware]:
    """Publish joint states at 100 Hz and diagnostics at 1 Hz."""
    fake = FakeHardware(module_ros)
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory, hardware: FakeHardware) -> Iterator[Bridge]:
    """Run one bridge that sees the stand-in hardware, with health checks every second."""
    with running_bridge(
        tmp_path_factory.mktemp("bridge"), "health_check_interval:=1.0"
    ) as running:
        wait_for(
            lambda: running.get("/api/health").json()["status"] == "healthy",
            60.0,
            f"a healthy bridge\n{running.process.log()[-3000:]}",
        )
        yield running
