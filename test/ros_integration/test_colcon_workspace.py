"""`colcon build` of a workspace holding this package installs a runnable ROS package.

The workspace is built once for the module (the Rust core is compiled in release by setup.py
through maturin, with the crate's own target dir so that cargo reuses what `make core`
compiled), then the installed hardware_node is started the way `ros2 run reachy_mini
hardware_node` starts it, and `colcon test` runs the package's quick tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from integration_support import ROOT
from support import free_port, private_domain, start_process, wait_for

from reachy_mini_ros.bringup import (
    ANALYZERS_FILE,
    NODES,
    RVIZ_FILE,
    URDF_FILE,
)
from reachy_mini_ros.interface.joints import HEAD_POSE_JOINT_NAMES, MOTOR_JOINT_NAMES
from reachy_mini_ros.interface.share import PACKAGE, PARAMS_FILE

BIN = Path(sys.executable).parent
PYTHON_DIR = f"python{sys.version_info.major}.{sys.version_info.minor}"
# A cold release build of the core takes minutes on a loaded two-core machine.
BUILD_TIMEOUT = 1500.0
# setup.py asks `python -m maturin` for the core; under colcon, a sitecustomize on PYTHONPATH
# moves sys.prefix to the install prefix and maturin's launcher then finds no binary.


pytestmark = [
    pytest.mark.timeout(BUILD_TIMEOUT + 300),
]


@dataclass
class Workspace:
    """A built colcon workspace whose src/reachy_mini is this repository."""

    root: Path
    env: dict[str, str]

    @property
    def prefix(self) -> Path:
        """Return the package's install prefix (colcon's isolated layout)."""
        return self.root / "install" / PACKAGE

    @property
    def site_packages(self) -> Path:
        """Return the install's Python package folder."""
        return self.prefix / "lib" / PYTHON_DIR / "site-packages"

    def install_env(self, domain_id: int | None = None) -> dict[str, str]:
        """Return the environment `source install/setup.bash` gives, for this package."""
        env = dict(self.env)
        env["ROS_LOG_DIR"] = str(self.root / "ros_log")
        env["PYTHONPATH"] = str(self.site_packages)
        env["AMENT_PREFIX_PATH"] = f"{self.prefix}{os.pathsep}{sys.prefix}"
        if domain_id is not None:
            env["ROS_DOMAIN_ID"] = str(domain_id)
        return env

    def colcon(self, *args: str, timeout: float = 600.0) -> subprocess.CompletedProcess[str]:
        """Run colcon in the workspace with its base folders."""
        return subprocess.run(
            [str(BIN / "colcon"), "--log-base", "log", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def build_env() -> dict[str, str]:
    """Return the environment of colcon: this venv, cargo, and the crate's cargo target dir."""
    env = dict(os.environ)
    env.pop("REACHY_MINI_SKIP_CORE_BUILD", None)
    env.pop("PYTHONPATH", None)
    cargo_bin = Path.home() / ".cargo" / "bin"
    env["PATH"] = os.pathsep.join([str(BIN), str(cargo_bin), env.get("PATH", "")])
    env["CARGO_TARGET_DIR"] = str(ROOT / "reachy_mini_core_rs" / "target")
    env["AMENT_PREFIX_PATH"] = sys.prefix
    return env


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Build a colcon workspace holding this package, once for the module."""
    root = tmp_path_factory.mktemp("colcon_ws")
    (root / "src").mkdir()
    (root / "src" / PACKAGE).symlink_to(ROOT, target_is_directory=True)
    ws = Workspace(root, build_env())
    built = ws.colcon("build", "--event-handlers", "console_direct+", timeout=BUILD_TIMEOUT)
    log = built.stdout + built.stderr
    (root / "colcon_build.log").write_text(log)
    assert built.returncode == 0, f"colcon build failed:\n{log[-6000:]}"
    return ws


def test_colcon_build_installs_launch_config_and_urdf_as_in_the_repository(
    workspace: Workspace,
) -> None:
    share = workspace.prefix / "share" / PACKAGE
    installed = [
        Path("launch") / "bringup.launch.py",
        Path("config") / PARAMS_FILE,
        Path("config") / ANALYZERS_FILE,
        Path("config") / RVIZ_FILE,
        Path("urdf") / URDF_FILE,
        Path("package.xml"),
    ]
    if (ROOT / "web" / "dist" / "index.html").is_file():
        installed.append(Path("web") / "dist" / "index.html")
    for path in installed:
        assert (share / path).read_bytes() == (ROOT / path).read_bytes(), path
    index = workspace.prefix / "share" / "ament_index" / "resource_index" / "packages" / PACKAGE
    assert index.is_file()


def test_colcon_build_installs_both_nodes_where_ros2_run_looks(workspace: Workspace) -> None:
    for executable in ("hardware_node", "bridge_node"):
        path = workspace.prefix / "lib" / PACKAGE / executable
        assert path.is_file() and os.access(path, os.X_OK), path


def test_colcon_build_compiles_the_rust_core_into_the_install(workspace: Workspace) -> None:
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    core = workspace.site_packages / "reachy_mini_core_rs" / f"_core{suffix}"
    assert core.is_file(), sorted(p.name for p in workspace.site_packages.iterdir())
    # Run from the workspace so that the repository's own packages are not on the path.
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import reachy_mini_core_rs._core as c, reachy_mini_ros as r;"
            "from reachy_mini_ros.interface.share import share_dir;"
            "print(c.__file__); print(r.__file__); print(share_dir())",
        ],
        cwd=workspace.root,
        env=workspace.install_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    core_file, package_file, share = probe.stdout.split()
    assert Path(core_file) == core
    assert Path(package_file).is_relative_to(workspace.site_packages)
    assert Path(share) == workspace.prefix / "share" / PACKAGE


@contextlib.contextmanager
def ros_context(domain_id: int) -> Iterator[Any]:
    """Yield an rclpy node on domain_id, spun by a background thread."""
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    context = rclpy.Context()
    rclpy.init(context=context, domain_id=domain_id)
    node = rclpy.create_node("colcon_install_probe", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    try:
        yield node
    finally:
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()
        thread.join(5)


def test_installed_hardware_node_publishes_joint_states_over_dds(
    workspace: Workspace, tmp_path: Path
) -> None:
    from sensor_msgs.msg import JointState

    domain_id = private_domain()
    executable = workspace.prefix / "lib" / PACKAGE / "hardware_node"
    process = start_process(
        "installed_hardware_node", [str(executable)], tmp_path, workspace.install_env(domain_id)
    )
    received: list[JointState] = []
    try:
        with ros_context(domain_id) as node:
            node.create_subscription(JointState, "/joint_states", received.append, 10)
            wait_for(
                lambda: received or not process.alive(),
                60.0,
                f"/joint_states from the installed node\n{process.log()[-3000:]}",
            )
    finally:
        code = process.stop()
    assert received, f"the installed node exited with {code}:\n{process.log()[-3000:]}"
    assert set(received[-1].name) == set(MOTOR_JOINT_NAMES) | set(HEAD_POSE_JOINT_NAMES)


def test_colcon_test_runs_the_package_tests_and_they_pass(workspace: Workspace) -> None:
    results = workspace.root / "test_results"
    tested = workspace.colcon(
        "test",
        "--test-result-base",
        str(results),
        "--event-handlers",
        "console_direct+",
        "--pytest-args",
        "test/ros_integration/test_urdf_model.py",
        "test/ros_integration/test_diagnostic_analyzers.py",
        "test/ros_integration/test_rviz_view.py",
    )
    assert tested.returncode == 0, tested.stdout[-4000:] + tested.stderr[-4000:]
    summary = workspace.colcon("test-result", "--test-result-base", str(results), "--all")
    assert summary.returncode == 0, summary.stdout + summary.stderr
    suite = ET.parse(results / PACKAGE / "pytest.xml").getroot()
    if suite.tag == "testsuites":
        suite = suite[0]
    assert int(suite.get("tests", "0")) >= 10
    assert suite.get("failures") == "0" and suite.get("errors") == "0"


# What `ros2 launch PACKAGE FILE ARGS` does, without ros2cli (not installable from PyPI).
LAUNCH_RUNNER = """
import sys
from launch import LaunchService
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from ament_index_python.packages import get_package_share_directory

path = get_package_share_directory(sys.argv[1]) + "/launch/" + sys.argv[2]
arguments = [tuple(a.split(":=", 1)) for a in sys.argv[3:]]
service = LaunchService()
service.include_launch_description(
    IncludeLaunchDescription(PythonLaunchDescriptionSource(path), launch_arguments=arguments)
)
sys.exit(service.run())
"""


def hardware_node_pids(launcher_pid: int) -> list[int]:
    """Return the pids of the hardware_node processes below the launcher."""
    import psutil

    children = psutil.Process(launcher_pid).children(recursive=True)
    return [c.pid for c in children if any("hardware_node" in part for part in c.cmdline())]


def shutdown_transition(node: Any) -> bool:
    """Ask /hardware_node for its lifecycle shutdown transition; return its success."""
    from lifecycle_msgs.msg import Transition
    from lifecycle_msgs.srv import ChangeState

    client = node.create_client(ChangeState, "/hardware_node/change_state")
    assert client.wait_for_service(30.0), "no /hardware_node/change_state"
    time.sleep(1.0)  # the reply path is discovered apart from the request path
    request = ChangeState.Request()
    request.transition.id = Transition.TRANSITION_ACTIVE_SHUTDOWN
    future = client.call_async(request)
    deadline = time.monotonic() + 15.0
    while not future.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    return bool(future.done() and future.result().success)


def test_launch_file_runs_the_installed_hardware_node_alone_and_respawns_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    pytest.importorskip("launch_ros", reason="launch_ros is part of a ROS 2 install, not PyPI")
    from sensor_msgs.msg import JointState

    domain_id = private_domain()
    env = workspace.install_env(domain_id)
    # launch and launch_ros come from the ROS install, as after `source /opt/ros/.../setup.bash`.
    outer = os.environ.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env["PYTHONPATH"], outer) if p)
    env["TMPDIR"] = str(tmp_path)  # where launch_ros writes the nodes' parameter files
    optional_off = [f"{spec.enabled_by}:=false" for spec in NODES if spec.enabled_by]
    launcher = start_process(
        "launch",
        [sys.executable, "-c", LAUNCH_RUNNER, PACKAGE, "bringup.launch.py", *optional_off],
        tmp_path,
        env,
    )
    received: list[tuple[float, JointState]] = []
    try:
        with ros_context(domain_id) as node:
            node.create_subscription(
                JointState, "/joint_states", lambda m: received.append((time.monotonic(), m)), 10
            )
            wait_for(
                lambda: received or not launcher.alive(),
                90.0,
                f"/joint_states from the launched node\n{launcher.log()[-3000:]}",
            )
            assert received, f"launch exited:\n{launcher.log()[-3000:]}"
            first = hardware_node_pids(launcher.popen.pid)
            assert len(first) == 1, first
            os.kill(first[0], signal.SIGKILL)
            respawned = wait_for(
                lambda: [p for p in hardware_node_pids(launcher.popen.pid) if p not in first],
                60.0,
                f"a new hardware_node after the crash\n{launcher.log()[-3000:]}",
            )
            assert len(respawned) == 1
            respawned_at = time.monotonic()
            wait_for(
                lambda: any(t > respawned_at for t, _m in received),
                90.0,
                f"/joint_states from the respawned node\n{launcher.log()[-3000:]}",
            )
            # A node shut down on purpose exits with status 0 and is not started again.
            shut_down = shutdown_transition(node)
            assert shut_down, launcher.log()[-3000:]
            wait_for(
                lambda: not hardware_node_pids(launcher.popen.pid),
                10.0,
                f"the finalized hardware_node to exit\n{launcher.log()[-3000:]}",
            )
            # With the optional nodes off, launch ends once its last process has: wait for
            # that or twice the respawn delay, and see that no new hardware_node came.
            with contextlib.suppress(TimeoutError):
                wait_for(lambda: not launcher.alive(), 4.0, "launch to end")
            if launcher.alive():
                assert not hardware_node_pids(launcher.popen.pid), launcher.log()[-3000:]
    finally:
        code = launcher.stop()
    assert code == 0, launcher.log()[-3000:]
    log = launcher.log()
    for absent in ("bridge_node", "robot_state_publisher", "aggregator_node", "rviz2"):
        assert f"[{absent}" not in log, absent
    assert "hardware_node stopped (exit status 0); not restarting it" in log


def test_launch_defaults_skip_a_missing_optional_package_and_run_the_rest(
    workspace: Workspace, tmp_path: Path
) -> None:
    pytest.importorskip("launch_ros", reason="launch_ros is part of a ROS 2 install, not PyPI")
    from launch.launch_description_sources.python_launch_file_utilities import (
        load_python_launch_file_as_module,
    )

    launch_file = ROOT / "launch" / "bringup.launch.py"
    installed = load_python_launch_file_as_module(str(launch_file)).installed
    absent = [spec for spec in NODES if spec.needs_ros_install and not installed(spec.package)]
    if not any(spec.enabled_by != "use_rviz" for spec in absent):
        pytest.skip("robot_state_publisher and diagnostic_aggregator are installed here")
    domain_id = private_domain()
    env = workspace.install_env(domain_id)
    outer = os.environ.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env["PYTHONPATH"], outer) if p)
    env["TMPDIR"] = str(tmp_path)
    env["REACHY_MINI_DATA_DIR"] = str(tmp_path / "data")  # the bridge's database and token
    port = free_port()
    launcher = start_process(
        "launch",
        [
            sys.executable,
            "-c",
            LAUNCH_RUNNER,
            PACKAGE,
            "bringup.launch.py",
            f"bridge_port:={port}",
        ],
        tmp_path,
        env,
    )
    try:

        def bridge_up() -> bool:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=1.0),
            ):
                return True
            return not launcher.alive()

        wait_for(bridge_up, 90.0, f"the launched bridge\n{launcher.log()[-3000:]}")
        assert launcher.alive(), launcher.log()[-3000:]
        assert len(hardware_node_pids(launcher.popen.pid)) == 1
    finally:
        code = launcher.stop()
    assert code == 0, launcher.log()[-3000:]
    log = launcher.log()
    for spec in absent:
        if spec.enabled_by == "use_rviz":
            continue  # off by default
        assert (
            f"{spec.package} is not installed: {spec.name} is not started "
            f"({spec.enabled_by}:=false turns it off, and this warning with it)"
        ) in log, log[-3000:]
