"""Generated requests over the whole OpenAPI schema never make the bridge answer 5xx.

Schemathesis runs from a virtual environment of its own (``.venv-fuzz``, made by ``make
test``): it brings rich, which structlog would otherwise import into every process of the
robot's environment.
"""

from __future__ import annotations

import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_support import Bridge
from support import ROOT, RosClient

from reachy_mini_ros.interface import moves

SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "schemathesis"


@pytest.fixture(scope="module")
def services(module_ros: RosClient) -> Iterator[None]:
    """Answer the torque and move services like the hardware node."""
    from std_srvs.srv import SetBool, Trigger

    def handle(request: Any, response: Any) -> Any:
        response.success = True
        response.message = "ok"
        return response

    node = module_ros.node
    offered = [
        node.create_service(SetBool, "/reachy_mini/enable_torque", handle),
        *(
            node.create_service(Trigger, name, handle)
            for name in (
                moves.WAKE_UP_SERVICE,
                moves.GOTO_SLEEP_SERVICE,
                moves.STOP_MOVE_SERVICE,
            )
        ),
    ]
    # A reply sent before the response path is matched is lost (support.call_service).
    time.sleep(1.0)
    yield
    for service in offered:
        node.destroy_service(service)


def test_no_generated_request_makes_the_bridge_answer_5xx(
    bridge: Bridge, services: None, tmp_path: Path
) -> None:
    assert SCHEMATHESIS.exists(), f"{SCHEMATHESIS} is missing: `make test` installs it"
    report = tmp_path / "junit.xml"
    # Examples, boundary values and random cases, valid and invalid: 25 per operation and
    # phase, from a fixed seed.
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            bridge.base_url + "/openapi.json",
            "--header",
            f"Authorization: Bearer {bridge.token}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
        ],
        cwd=tmp_path,  # where it keeps its cache
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    suite = ET.parse(report).getroot()
    assert (suite.get("failures"), suite.get("errors")) == ("0", "0")
    tested = {case.get("name") for case in suite.iter("testcase")}
    schema = bridge.get("/openapi.json").json()
    operations = {
        f"{method.upper()} {path}" for path, item in schema["paths"].items() for method in item
    }
    assert tested == operations
