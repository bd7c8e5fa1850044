"""Fixtures shared by the tests of the Rust core's Python module."""

from __future__ import annotations

import pytest

import reachy_mini_core_rs as core


@pytest.fixture
def sim() -> core.SimBus:
    """Give the test its own simulated bus."""
    return core.SimBus()
