"""Joint positions become 1 s aggregates, stored and read back downsampled."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reachy_mini_ros.db import Database, TelemetryAggregator, TelemetryPoint

T0 = 1_800_000_000.0
JOINTS = ("yaw_body", "stewart_1", "head_z")


class Collected:
    """A telemetry sink that keeps what it is given, in order."""

    def __init__(self) -> None:
        self.points: list[TelemetryPoint] = []

    def record_telemetry(self, point: TelemetryPoint) -> bool:
        """Keep point."""
        self.points.append(point)
        return True


def stream(aggregator: TelemetryAggregator, seconds: float, rate_hz: float = 200.0) -> None:
    """Feed a 200 Hz stream where joint j at sample k is at position j + k / 1000."""
    for k in range(round(seconds * rate_hz)):
        stamp = T0 + k / rate_hz
        aggregator.add(stamp, JOINTS, [j + k / 1000 for j in range(len(JOINTS))])


def test_aggregator_emits_one_point_per_joint_per_second() -> None:
    sink = Collected()
    aggregator = TelemetryAggregator(sink)
    stream(aggregator, 3.5)
    # Windows [0, 1), [1, 2), [2, 3) are closed; [3, 4) is still open.
    assert len(sink.points) == 3 * len(JOINTS)
    for point in sink.points:
        assert point.end - point.start == 1.0
        assert point.count == 200
    first = next(p for p in sink.points if p.joint == "stewart_1")
    assert first.start == T0
    assert first.min == pytest.approx(1.0)
    assert first.max == pytest.approx(1.199)
    assert first.last == pytest.approx(1.199)
    assert first.mean == pytest.approx(1.0995)


def test_aggregator_flush_emits_the_open_window() -> None:
    sink = Collected()
    aggregator = TelemetryAggregator(sink)
    stream(aggregator, 1.5)
    assert aggregator.flush() == len(JOINTS)
    partial = [p for p in sink.points if p.start == T0 + 1]
    assert {p.joint for p in partial} == set(JOINTS)
    assert all(p.count == 100 for p in partial)
    assert aggregator.flush() == 0


def test_aggregator_windows_are_aligned_on_whole_seconds() -> None:
    sink = Collected()
    aggregator = TelemetryAggregator(sink)
    for stamp in (T0 + 0.7, T0 + 0.9, T0 + 1.2):
        aggregator.add(stamp, ["yaw_body"], [stamp - T0])
    (point,) = sink.points
    assert (point.start, point.end, point.count) == (T0, T0 + 1, 2)


def test_aggregator_skips_values_that_are_not_finite() -> None:
    sink = Collected()
    aggregator = TelemetryAggregator(sink)
    aggregator.add(T0, ["yaw_body", "head_z"], [float("nan"), 0.5])
    aggregator.add(T0 + 0.5, ["yaw_body", "head_z"], [0.25, float("inf")])
    aggregator.flush()
    by_joint = {p.joint: p for p in sink.points}
    assert by_joint["yaw_body"].count == 1 and by_joint["yaw_body"].mean == 0.25
    assert by_joint["head_z"].count == 1 and by_joint["head_z"].mean == 0.5


def test_aggregated_telemetry_round_trips_through_the_database(database: Database) -> None:
    aggregator = TelemetryAggregator(database)
    stream(aggregator, 4.0)
    aggregator.flush()
    assert database.flush(10.0)
    points = database.query_telemetry()
    assert len(points) == 4 * len(JOINTS)
    assert [p.start for p in points] == sorted(p.start for p in points)
    stewart = database.query_telemetry(joint="stewart_1")
    assert [p.start for p in stewart] == [T0, T0 + 1, T0 + 2, T0 + 3]
    second = stewart[1]
    assert (second.count, second.end) == (200, T0 + 2)
    assert second.min == pytest.approx(1.2)
    assert second.max == pytest.approx(1.399)
    assert second.last == pytest.approx(1.399)
    assert second.mean == pytest.approx(1.2995)


def record_seconds(database: Database, seconds: int, joints: tuple[str, ...] = ("a", "b")) -> None:
    """Store one point per second per joint; joint j's mean in second s is s + j/10."""
    for s in range(seconds):
        for j, joint in enumerate(joints):
            value = s + j / 10
            database.record_telemetry(
                TelemetryPoint(
                    joint=joint,
                    start=T0 + s,
                    end=T0 + s + 1,
                    count=10 + s % 3,
                    mean=value,
                    min=value - 0.5,
                    max=value + 0.5,
                    last=value + 0.25,
                )
            )
    assert database.flush(20.0)


def test_query_returns_raw_points_when_under_max_points(database: Database) -> None:
    record_seconds(database, 20)
    points = database.query_telemetry(max_points=20)
    assert len(points) == 40
    assert [p.start for p in points if p.joint == "a"] == [T0 + s for s in range(20)]


def test_query_downsamples_to_at_most_max_points_per_joint(database: Database) -> None:
    record_seconds(database, 1000)
    points = database.query_telemetry(max_points=300)
    for joint in ("a", "b"):
        series = [p for p in points if p.joint == joint]
        assert 250 <= len(series) <= 300
        assert [p.start for p in series] == sorted(p.start for p in series)
        # Merging keeps every sample and the extremes of the whole range.
        assert sum(p.count for p in series) == sum(10 + s % 3 for s in range(1000))
        offset = 0.0 if joint == "a" else 0.1
        assert min(p.min for p in series) == pytest.approx(offset - 0.5)
        assert max(p.max for p in series) == pytest.approx(999 + offset + 0.5)
        assert series[0].start == T0
        assert series[-1].end == T0 + 1000
        assert series[-1].last == pytest.approx(999 + offset + 0.25)


def test_downsampled_point_merges_its_rows(database: Database) -> None:
    record_seconds(database, 9)
    (first, second, third) = database.query_telemetry(joint="b", max_points=3)
    # Seconds 0-2 in the first bucket: counts 10, 11, 12 and means 0.1, 1.1, 2.1.
    assert (first.start, first.end, first.count) == (T0, T0 + 3, 33)
    assert first.mean == pytest.approx((10 * 0.1 + 11 * 1.1 + 12 * 2.1) / 33)
    assert (first.min, first.max, first.last) == pytest.approx((-0.4, 2.6, 2.35))
    assert (second.start, third.end) == (T0 + 3, T0 + 9)


def test_query_telemetry_filters_by_joint_and_time(database: Database) -> None:
    record_seconds(database, 10)
    points = database.query_telemetry(joint="a", since=T0 + 3, until=T0 + 6)
    assert [(p.joint, p.start) for p in points] == [("a", T0 + 3), ("a", T0 + 4), ("a", T0 + 5)]
    assert database.query_telemetry(joint="nope") == []


joint_names = st.sampled_from(["yaw_body", "stewart_1", "head_z", "left_antenna"])
values = st.one_of(
    st.floats(-10, 10, allow_nan=False), st.sampled_from([math.nan, math.inf, -math.inf])
)


@st.composite
def samples(draw: st.DrawFn) -> list[tuple[float, list[str], list[float]]]:
    """Samples over three windows whose joint sets and orders change from one to the next."""
    out = []
    for k in range(draw(st.integers(1, 60))):
        names = draw(st.lists(joint_names, unique=True, max_size=4))
        positions = draw(st.lists(values, min_size=len(names), max_size=len(names) + 1))
        out.append((T0 + k * 0.05, names, positions))
    return out


@settings(max_examples=200, deadline=None)
@given(samples())
def test_each_point_is_the_count_mean_min_max_and_last_of_the_finite_values(
    stream_: list[tuple[float, list[str], list[float]]],
) -> None:
    sink = Collected()
    aggregator = TelemetryAggregator(sink)
    for stamp, names, positions in stream_:
        aggregator.add(stamp, names, positions)
    aggregator.flush()
    # Every finite value of a joint in a window, in arrival order.
    expected: dict[tuple[float, str], list[float]] = {}
    for stamp, names, positions in stream_:
        for name, value in zip(names, positions, strict=False):
            if math.isfinite(value):
                expected.setdefault((math.floor(stamp), name), []).append(value)
    got = {(point.start, point.joint): point for point in sink.points}
    assert set(got) == {(float(start), name) for start, name in expected}
    for (start, name), seen in expected.items():
        point = got[(float(start), name)]
        assert point.count == len(seen)
        assert point.mean == pytest.approx(sum(seen) / len(seen))
        assert (point.min, point.max, point.last) == (min(seen), max(seen), seen[-1])
