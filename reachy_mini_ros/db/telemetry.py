"""Reduce joint-state streams to one aggregate per joint and window for the database."""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from reachy_mini_ros.db.records import TelemetryPoint


class TelemetrySink(Protocol):
    """Anything that takes telemetry points, such as Database."""

    def record_telemetry(self, point: TelemetryPoint) -> bool:
        """Take one point; return False if it was dropped."""
        ...


class TelemetryAggregator:
    """Aggregate joint positions over fixed windows aligned on multiples of window_s.

    ``add`` keeps a reference to the sample's positions (a tuple copy) and nothing more: the
    window's count, mean, min, max and last of every joint are computed once, when a sample
    of a later window arrives (once per window_s), by C loops over its columns. Per-sample
    Python work, a few dict operations per joint, was a third of the bridge's ROS thread.
    """

    def __init__(self, database: TelemetrySink, window_s: float = 1.0) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be positive, got {window_s}")
        self.database = database
        self.window_s = float(window_s)
        self._index: int | None = None
        # The open window's samples, grouped by their names: (names, positions count) to the
        # sample numbers and the positions of the samples with those names.
        self._samples: dict[tuple[tuple[str, ...], int], tuple[list[int], list[tuple]]] = {}
        self._count = 0
        self._lock = threading.Lock()

    def add(self, stamp: float, names: Sequence[str], positions: Sequence[float]) -> None:
        """Fold one joint-state sample (stamp in seconds) into the current window."""
        index = math.floor(stamp / self.window_s)
        names = names if isinstance(names, tuple) else tuple(names)
        row = tuple(positions)
        closed: list[TelemetryPoint] = []
        with self._lock:
            if index != self._index:
                # A later window (or a clock that went back, such as a restarted simulation).
                closed = self._close()
                self._index = index
            key = (names, len(row))
            group = self._samples.get(key)
            if group is None:
                group = self._samples[key] = ([], [])
            group[0].append(self._count)
            group[1].append(row)
            self._count += 1
        for point in closed:
            self.database.record_telemetry(point)

    def flush(self) -> int:
        """Emit the open window now (at shutdown); return the number of points emitted."""
        with self._lock:
            closed = self._close()
            self._index = None
        for point in closed:
            self.database.record_telemetry(point)
        return len(closed)

    def _close(self) -> list[TelemetryPoint]:
        """Turn the open window into points and start an empty one."""
        samples, self._samples, self._count = self._samples, {}, 0
        if self._index is None or not samples:
            return []
        # joint: [count, total, minimum, maximum, number of the sample of last, last]
        joints: dict[str, list[Any]] = {}
        for (names, _), (numbers, rows) in samples.items():
            for name, column in zip(names, zip(*rows, strict=True), strict=False):
                values = list(filter(math.isfinite, map(float, column)))
                if not values:
                    continue
                last_at = next(i for i in reversed(range(len(column))) if math.isfinite(column[i]))
                joint = joints.get(name)
                if joint is None:
                    joints[name] = [
                        len(values),
                        sum(values),
                        min(values),
                        max(values),
                        numbers[last_at],
                        values[-1],
                    ]
                    continue
                # The same joint under other names (a publisher that changed its joint set).
                joint[0] += len(values)
                joint[1] += sum(values)
                joint[2] = min(joint[2], min(values))
                joint[3] = max(joint[3], max(values))
                if numbers[last_at] > joint[4]:
                    joint[4], joint[5] = numbers[last_at], values[-1]
        start = self._index * self.window_s
        end = start + self.window_s
        return [
            TelemetryPoint(
                joint=name,
                start=start,
                end=end,
                count=count,
                mean=total / count,
                min=minimum,
                max=maximum,
                last=last,
            )
            for name, (count, total, minimum, maximum, _, last) in joints.items()
        ]
