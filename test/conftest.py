"""Shared fixtures: every test run gets its own DDS domain, limited to this machine."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from domains import worker_domains

# A fresh domain per run keeps concurrent runs (and other sessions' robots) apart; set before
# any rclpy import so that this process and every child process use it.
os.environ["ROS_DOMAIN_ID"] = str(random.SystemRandom().choice(worker_domains()))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp")

from support import RosClient, Stack, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Run one stack on the simulated robot for the tests that only observe it."""
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


@pytest.fixture
def ros(request: pytest.FixtureRequest) -> Iterator[RosClient]:
    """Give the test its own rclpy node: on the stack's domain when it uses the stack."""
    domain = None
    if "stack" in request.fixturenames:
        domain = request.getfixturevalue("stack").domain_id
    client = RosClient(domain_id=domain)
    yield client
    client.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Return the folder where tests keep files for the report."""
    path = Path(__file__).resolve().parent.parent / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
