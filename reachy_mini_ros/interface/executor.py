"""The executor both nodes spin: rclpy's EventsExecutor where this rclpy has it.

The EventsExecutor dispatches ready entities from C++ and calls Python only for the callbacks
themselves; the SingleThreadedExecutor rebuilds its wait set in Python on every wake-up, which
at 200 joint states a second was most of each node's CPU. Jazzy (rclpy 7.1) and Kilted (9.1)
both ship it under ``rclpy.experimental``; an rclpy without it gets the SingleThreadedExecutor.
``REACHY_MINI_EXECUTOR=single`` chooses the latter anyway, to compare the two.

Its ``spin()`` without a timeout busy-waits and never dispatches in these releases, so
``spin_until_shutdown`` spins it in bounded slices instead.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import Any

import rclpy
from rclpy.context import Context
from rclpy.executors import Executor, ExternalShutdownException, SingleThreadedExecutor

# How long one slice of spinning waits for work; shutdown wakes it earlier.
SPIN_SLICE_S = 0.5
EXECUTOR_ENV = "REACHY_MINI_EXECUTOR"


def events_executor_class() -> Any:
    """Return rclpy's EventsExecutor factory, or None where this rclpy has none."""
    try:
        from rclpy.experimental import EventsExecutor
    except ImportError:
        return None
    return EventsExecutor


def make_executor(context: Context | None = None) -> Executor:
    """Return the executor a node of this package spins on."""
    events = events_executor_class()
    if events is None or os.environ.get(EXECUTOR_ENV, "events") == "single":
        return SingleThreadedExecutor(context=context)
    executor: Executor = events(context=context)
    return executor


def spin_until_shutdown(
    executor: Executor, context: Context | None = None, done: Callable[[], bool] | None = None
) -> None:
    """Spin executor until its context shuts down or done() says so (checked after every
    callback); return then (rclpy raises, on some)."""
    context = context or rclpy.get_default_context()
    with contextlib.suppress(ExternalShutdownException):
        while context.ok() and not (done is not None and done()):
            executor.spin_once(timeout_sec=SPIN_SLICE_S)
