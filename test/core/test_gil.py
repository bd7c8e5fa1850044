"""Check that the core's blocking calls let other Python threads run."""

from __future__ import annotations

import threading
import time

import reachy_mini_core_rs as core


class Counter(threading.Thread):
    """Count as fast as the GIL allows, until told to stop."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.count = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.count += 1


def test_wait_snapshot_releases_the_gil() -> None:
    control = core.ControlLoop(backend="sim")
    control.open()
    counter = Counter()
    counter.start()
    try:
        time.sleep(0.05)
        before = counter.count
        # The loop is not running, so this waits the full 0.5 s.
        assert control.wait_snapshot(0, 0.5) is None
        during = counter.count - before
    finally:
        counter.done.set()
        counter.join()
        control.close()
    # Holding the GIL for 0.5 s would let the counter advance by (almost) nothing; released,
    # it counts hundreds of thousands of times even on a busy machine.
    assert during > 10_000


def test_bus_transactions_release_the_gil() -> None:
    sim = core.SimBus()
    sim.set_unresponsive(10, True)
    control = core.ControlLoop(backend="sim", sim=sim, timeout_s=0.1)
    counter = Counter()
    counter.start()
    try:
        time.sleep(0.05)
        before = counter.count
        # The silent motor costs a 0.1 s timeout inside open().
        control.open()
        during = counter.count - before
    finally:
        counter.done.set()
        counter.join()
        control.close()
    assert during > 2_000
