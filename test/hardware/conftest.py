"""Give each hardware node test a DDS domain of its own, apart from the run's shared stack."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import RosClient, private_domain


@pytest.fixture
def domain() -> int:
    """Return the test's own ROS domain id."""
    return private_domain()


@pytest.fixture
def ros(domain: int) -> Iterator[RosClient]:
    """Give the test an rclpy node on its own domain."""
    client = RosClient(domain_id=domain)
    yield client
    client.close()
