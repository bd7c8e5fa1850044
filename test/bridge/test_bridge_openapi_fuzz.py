"""Generated requests over the whole OpenAPI schema never make the bridge answer 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from bridge_support import Bridge
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from support import RosClient


@pytest.fixture(scope="module")
def torque_service(module_ros: RosClient) -> Iterator[None]:
    """Answer /reachy_mini/enable_torque like the hardware node."""
    from std_srvs.srv import SetBool

    def handle(request: Any, response: Any) -> Any:
        response.success = True
        response.message = "ok"
        return response

    service = module_ros.node.create_service(SetBool, "/reachy_mini/enable_torque", handle)
    yield
    module_ros.node.destroy_service(service)


@pytest.fixture(scope="module")
def api_schema(bridge: Bridge, torque_service: None) -> Any:
    """Load the schema the running bridge serves."""
    return schemathesis.openapi.from_url(bridge.base_url + "/openapi.json")


def test_no_generated_request_makes_the_bridge_answer_5xx(api_schema: Any, bridge: Bridge) -> None:
    headers = {"Authorization": f"Bearer {bridge.token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:
        # 25 examples per operation keep the whole run (12 operations) to seconds.
        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error], timeout=15)

        call()
