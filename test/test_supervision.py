"""`reachy-mini bringup` keeps the stack up: a dead node is restarted, the others untouched."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState
from sensor_msgs.msg import JointState
from support import RosClient, Stack, TopicRecorder, call_service, running_stack, wait_for


def bridge_answers(stack: Stack) -> bool:
    """Return whether the bridge answers /api/health (any status) right now."""
    try:
        stack.get("/api/health")
    except httpx.HTTPError:
        return False
    return True


def test_a_hung_bridge_does_not_slow_the_hardware_node(tmp_path: Path) -> None:
    # SIGSTOP freezes every thread of the web side at once: its event loop, its executor and
    # its DDS readers, as a deadlock or a blocked loop would, and more. The motor loop and the
    # readings it publishes must not notice; the bridge serves again once it runs.
    with running_stack(tmp_path) as stack:
        bridge = stack.node_process("bridge_node")
        ros = RosClient(domain_id=stack.domain_id)
        try:
            recorder = TopicRecorder(ros, JointState, "/joint_states", depth=2000)
            recorder.wait(30.0, "/joint_states")
            time.sleep(3.0)
            os.kill(bridge.pid, signal.SIGSTOP)
            stopped = time.time()
            try:
                time.sleep(3.0)
                with contextlib.suppress(httpx.HTTPError):
                    stack.get("/api/health")
                    raise AssertionError("a stopped bridge answered")
            finally:
                resumed = time.time()
                os.kill(bridge.pid, signal.SIGCONT)
            wait_for(lambda: bridge_answers(stack), 10.0, "the resumed bridge")
            time.sleep(0.5)
            stamps = [
                m.header.stamp.sec + m.header.stamp.nanosec * 1e-9
                for m in recorder.since(stopped - 3.0)
            ]
            inside = [t for t in stamps if stopped <= t <= resumed]
            rate = len(inside) / (resumed - stopped)
            # The same count over the seconds before the hang, as this process received it: on
            # a loaded two-core machine neither is 200 Hz, and a hang that slowed the node
            # would show as a drop from one to the other.
            before = len([t for t in stamps if stopped - 2.5 <= t < stopped]) / 2.5
            gaps = [b - a for a, b in itertools.pairwise(inside)]
        finally:
            ros.close()
        assert rate >= 0.9 * before and rate >= 150.0, (
            f"/joint_states at {rate:.1f} Hz while the bridge hung, {before:.1f} Hz before"
        )
        # A node that waited on its frozen peer would stall for the whole 3 s; a loaded machine
        # delays a reading by tens of milliseconds now and then.
        assert max(gaps) < 0.25, f"a {max(gaps) * 1000:.0f} ms gap while the bridge hung"
        # Nothing was restarted: a hang is not a crash, and the bridge carries on.
        assert stack.node_process("bridge_node").pid == bridge.pid
        assert "exited" not in stack.process.log()


def test_a_killed_bridge_is_restarted_and_the_hardware_node_keeps_its_rate(
    tmp_path: Path,
) -> None:
    with running_stack(tmp_path) as stack:
        hardware = stack.node_process("hardware_node")
        bridge = stack.node_process("bridge_node")
        ros = RosClient(domain_id=stack.domain_id)
        try:
            recorder = TopicRecorder(ros, JointState, "/joint_states", depth=1000)
            recorder.wait(30.0, "/joint_states")
            time.sleep(1.0)  # a steady stream before the kill
            os.kill(bridge.pid, signal.SIGKILL)
            killed = time.time()
            wait_for(lambda: not bridge_answers(stack), 5.0, "the killed bridge to stop answering")
            wait_for(lambda: bridge_answers(stack), 60.0, "the bridge back")
            back = time.time()
            time.sleep(1.0)  # the readings stamped just before `back` are still on their way
            # Count the readings stamped while the bridge was away, as the node sent them:
            # the stamps are the node's, so the test process's own scheduling does not count.
            stamps = [
                m.header.stamp.sec + m.header.stamp.nanosec * 1e-9
                for m in recorder.since(killed - 1.0)
            ]
            inside = [t for t in stamps if killed <= t <= back]
            rate = len(inside) / (back - killed)
            gaps = [b - a for a, b in itertools.pairwise(inside)]
        finally:
            ros.close()
        assert back - killed > 0.5, "the bridge came back before its restart delay"
        # The new bridge's start-up (a Python process importing rclpy and its web stack) takes
        # one of the two cores for seconds, and the node's publishing thread shares the other
        # with this process: 140 Hz has been seen here with nothing wrong. A node that waited
        # on its dead peer would stall (a gap) or collapse, and that is what is checked.
        assert rate >= 100.0, f"/joint_states at {rate:.1f} Hz while the bridge was away"
        assert max(gaps) < 0.25, f"a {max(gaps) * 1000:.0f} ms gap while the bridge was away"
        assert hardware.is_running() and stack.node_process("hardware_node").pid == hardware.pid
        assert stack.node_process("bridge_node").pid != bridge.pid
        assert stack.process.alive()
        assert "bridge_node exited with -9; restarting in 0.5 s" in stack.process.log()


def test_a_node_shut_down_on_purpose_is_not_restarted_and_the_bridge_runs_on(
    tmp_path: Path,
) -> None:
    with running_stack(tmp_path) as stack:
        hardware = stack.node_process("hardware_node")
        ros = RosClient(domain_id=stack.domain_id)
        try:
            request = ChangeState.Request()
            request.transition.id = Transition.TRANSITION_ACTIVE_SHUTDOWN
            reply = call_service(ros, ChangeState, "/hardware_node/change_state", request)
            assert reply.success
        finally:
            ros.close()
        wait_for(lambda: not hardware.is_running(), 10.0, "the finalized hardware node to exit")
        time.sleep(2.0)  # four times the first restart delay
        log = stack.process.log()
        assert "hardware_node stopped (exit status 0); not restarting it" in log
        assert "restarting" not in log.replace("not restarting", "")
        with pytest.raises(LookupError):
            stack.node_process("hardware_node")
        assert stack.process.alive() and bridge_answers(stack)


def test_bringup_stops_with_an_error_when_a_node_fails_too_often(tmp_path: Path) -> None:
    with running_stack(tmp_path, "--max-failures", "2", "--failure-window", "120") as stack:
        hardware = stack.node_process("hardware_node")
        for kill in range(2):
            bridge = stack.node_process("bridge_node")
            os.kill(bridge.pid, signal.SIGKILL)
            wait_for(
                lambda b=bridge: not b.is_running() or b.status() == psutil.STATUS_ZOMBIE,
                10.0,
                "the bridge to die",
            )
            if kill == 0:  # the first exit is restarted, the second is one too many
                wait_for(lambda: bridge_answers(stack), 60.0, "the bridge back")
        code = wait_for(lambda: stack.process.popen.poll(), 30.0, "bringup to give up")
        assert code != 0
        assert "bridge_node exited 2 times within 120 s" in stack.process.log()
        # Bringup stopped the hardware node on its way out.
        wait_for(lambda: not hardware.is_running(), 15.0, "the hardware node to stop")


def test_ctrl_c_stops_the_stack_cleanly_without_an_error(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        # Let both nodes settle into their steady state (diagnostics, WebSocket hub, ...).
        time.sleep(2.0)
        # A terminal's Ctrl-C signals the whole foreground process group.
        code = stack.process.stop(signal.SIGINT, timeout=30.0)
        log = stack.process.log()
    assert code == 0, log
    assert "Traceback" not in log, log
    errors = [
        line
        for line in log.splitlines()
        # rclpy's [ERROR]/[FATAL], the bridge's JSON levels, bringup's own "error:".
        if re.search(r'\[(ERROR|FATAL)\]|"level": ?"(error|critical)"|reachy-mini: error', line)
    ]
    assert not errors, "\n".join(errors)


def test_nodes_stop_when_bringup_is_killed(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        nodes = [stack.node_process("hardware_node"), stack.node_process("bridge_node")]
        os.kill(stack.process.popen.pid, signal.SIGKILL)
        # Each node has a process group of its own; without a parent-death signal both would
        # run on as orphans of PID 1, the bridge on its port.
        for node in nodes:
            wait_for(
                lambda n=node: not n.is_running() or n.status() == psutil.STATUS_ZOMBIE,
                20.0,
                f"{node.name()} to stop after bringup was killed",
            )


def test_a_closed_terminal_stops_the_stack_cleanly(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        nodes = [stack.node_process("hardware_node"), stack.node_process("bridge_node")]
        stack.process.popen.send_signal(signal.SIGHUP)
        wait_for(lambda: stack.process.popen.poll() is not None, 30.0, "bringup to stop")
        assert stack.process.popen.returncode == 0, stack.process.log()
        for node in nodes:
            assert not node.is_running() or node.status() == psutil.STATUS_ZOMBIE
