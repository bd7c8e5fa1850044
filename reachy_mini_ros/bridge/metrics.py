"""Count what the bridge does and render it in the Prometheus text format (version 0.0.4)."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Request latency buckets in seconds: the health endpoint answers in about a millisecond.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    """Format label pairs as {a="x",b="y"}, escaping values."""
    body = ",".join(
        f'{key}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for key, value in pairs
    )
    return "{" + body + "}" if body else ""


class Histogram:
    """A cumulative-bucket latency histogram."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        """Add one observation."""
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.count += 1


class Metrics:
    """The bridge's counters; only the asyncio thread writes them."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.latency: dict[str, Histogram] = {}
        self.requests_count = 0
        self.ws_frames_sent: dict[str, int] = defaultdict(int)
        self.ws_frames_dropped: dict[str, int] = defaultdict(int)
        self.restarts: dict[str, int] = defaultdict(int)
        # The app SDK's WebSocket (/ws/sdk): commands by type and outcome, and its clients.
        self.sdk_commands: dict[tuple[str, str], int] = defaultdict(int)
        self.sdk_clients = 0

    def observe_request(self, method: str, path: str, status: int, duration_s: float) -> None:
        """Count one HTTP request and its duration."""
        self.requests[(method, path, str(status))] += 1
        self.requests_count += 1
        histogram = self.latency.get(path)
        if histogram is None:
            histogram = self.latency[path] = Histogram()
        histogram.observe(duration_s)

    def render(
        self,
        *,
        ws_clients: int,
        db_queue_depth: int,
        db_dropped: int,
        db_written: int,
        components: dict[str, bool],
    ) -> str:
        """Return every metric in the Prometheus text format."""
        lines: list[str] = []

        def family(name: str, kind: str, help_text: str) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")

        family("reachy_mini_http_requests_total", "counter", "HTTP requests by path and status.")
        for (method, path, status), count in sorted(self.requests.items()):
            labels = _labels((("method", method), ("path", path), ("status", status)))
            lines.append(f"reachy_mini_http_requests_total{labels} {count}")
        family("reachy_mini_http_request_duration_seconds", "histogram", "HTTP request latency.")
        for path, hist in sorted(self.latency.items()):
            cumulative = 0
            for bound, count in zip(hist.buckets, hist.counts, strict=False):
                cumulative += count
                labels = _labels((("path", path), ("le", repr(bound))))
                lines.append(
                    f"reachy_mini_http_request_duration_seconds_bucket{labels} {cumulative}"
                )
            labels = _labels((("path", path), ("le", "+Inf")))
            lines.append(f"reachy_mini_http_request_duration_seconds_bucket{labels} {hist.count}")
            labels = _labels((("path", path),))
            lines.append(f"reachy_mini_http_request_duration_seconds_sum{labels} {hist.total}")
            lines.append(f"reachy_mini_http_request_duration_seconds_count{labels} {hist.count}")
        family("reachy_mini_ws_clients", "gauge", "Connected WebSocket clients.")
        lines.append(f"reachy_mini_ws_clients {ws_clients}")
        family("reachy_mini_ws_frames_sent_total", "counter", "WebSocket frames sent by channel.")
        for channel, count in sorted(self.ws_frames_sent.items()):
            lines.append(
                f"reachy_mini_ws_frames_sent_total{_labels((('channel', channel),))} {count}"
            )
        family(
            "reachy_mini_ws_frames_dropped_total",
            "counter",
            "Due frames replaced by a newer one because the client was behind.",
        )
        for channel, count in sorted(self.ws_frames_dropped.items()):
            labels = _labels((("channel", channel),))
            lines.append(f"reachy_mini_ws_frames_dropped_total{labels} {count}")
        family("reachy_mini_sdk_clients", "gauge", "Connected clients of /ws/sdk.")
        lines.append(f"reachy_mini_sdk_clients {self.sdk_clients}")
        family(
            "reachy_mini_sdk_commands_total",
            "counter",
            "Commands received on /ws/sdk by type and outcome (accepted, refused, ...).",
        )
        for (command, outcome), count in sorted(self.sdk_commands.items()):
            labels = _labels((("command", command), ("outcome", outcome)))
            lines.append(f"reachy_mini_sdk_commands_total{labels} {count}")
        family("reachy_mini_db_queue_depth", "gauge", "Records waiting for the database writer.")
        lines.append(f"reachy_mini_db_queue_depth {db_queue_depth}")
        family("reachy_mini_db_dropped_total", "counter", "Records dropped on a full queue.")
        lines.append(f"reachy_mini_db_dropped_total {db_dropped}")
        family("reachy_mini_db_written_total", "counter", "Records written to the database.")
        lines.append(f"reachy_mini_db_written_total {db_written}")
        family("reachy_mini_component_up", "gauge", "1 while a bridge component is healthy.")
        for name, up in sorted(components.items()):
            lines.append(f"reachy_mini_component_up{_labels((('component', name),))} {int(up)}")
        family(
            "reachy_mini_component_restarts_total", "counter", "Restarts by the health checker."
        )
        for name in sorted(set(components) | set(self.restarts)):
            labels = _labels((("component", name),))
            lines.append(f"reachy_mini_component_restarts_total{labels} {self.restarts[name]}")
        return "\n".join(lines) + "\n"
