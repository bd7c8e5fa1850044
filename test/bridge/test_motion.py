"""The bridge's reading of the move events, and its models against the motion layer's contract."""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError

from reachy_mini_ros.bridge import motion, schemas, ws_messages
from reachy_mini_ros.bridge.motion import MoveEventError, MoveTracker, parse_move_event
from reachy_mini_ros.interface import moves

GOOD = {
    "move_id": "m-1",
    "kind": "wake_up",
    "event": "started",
    "duration": "2.500",
    "time": "1700000000.250000",
}


def test_the_models_name_what_the_contract_names() -> None:
    assert typing.get_args(schemas.Interpolation) == moves.INTERPOLATIONS
    assert typing.get_args(ws_messages.MoveKind.__value__) == moves.KINDS
    assert typing.get_args(ws_messages.MoveEventName.__value__) == moves.EVENTS
    longest = schemas.GotoCommand(body_yaw=0.0, duration=moves.MAX_DURATION_S)
    assert longest.interpolation == moves.DEFAULT_INTERPOLATION
    with pytest.raises(ValidationError, match="less than or equal to 60"):
        schemas.GotoCommand(body_yaw=0.0, duration=moves.MAX_DURATION_S + 0.001)
    assert tuple(schemas.HeadPoseCommand.model_fields) == moves.HEAD_KEYS


def test_a_move_event_is_read_from_its_values_and_message() -> None:
    event = parse_move_event(1, "stopped", {**GOOD, "event": "cancelled"})
    assert event == motion.MoveEvent(
        move_id="m-1",
        kind="wake_up",
        event="cancelled",
        reason="stopped",
        duration=2.5,
        time=1700000000.25,
        level=1,
    )
    assert event.frame_data() == {
        "move_id": "m-1",
        "kind": "wake_up",
        "event": "cancelled",
        "reason": "stopped",
        "duration": 2.5,
        "time": 1700000000.25,
    }


@pytest.mark.parametrize(
    ("event", "message", "reason"),
    [
        ("started", "started", ""),
        ("completed", "completed", ""),
        ("cancelled", "replaced by goto 'g-2'", "replaced by goto 'g-2'"),
        ("cancelled", "cancelled", ""),
        ("failed", "motor stewart_2 stopped answering", "motor stewart_2 stopped answering"),
        ("failed", "", ""),
    ],
)
def test_only_a_cancel_or_a_failure_has_a_reason(event: str, message: str, reason: str) -> None:
    # The hardware node's message is the reason, or the event's name when there is none.
    assert parse_move_event(0, message, {**GOOD, "event": event}).reason == reason


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"move_id": ""}, "move_id"),
        ({"move_id": "x" * (moves.MAX_ID_LENGTH + 1)}, "move_id"),
        ({"kind": "dance"}, "kind 'dance'"),
        ({"event": "paused"}, "event 'paused'"),
        ({"duration": "soon"}, "duration 'soon' is not a number"),
        ({"duration": "-1"}, "duration '-1' is not a time"),
        ({"time": "inf"}, "time 'inf' is not a time"),
        ({"time": None}, "without time"),
    ],
)
def test_a_move_event_outside_the_contract_says_what_is_wrong(
    change: dict[str, str | None], said: str
) -> None:
    values = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(MoveEventError, match=said):
        parse_move_event(0, "", values)


def test_a_started_move_runs_until_its_end_event() -> None:
    tracker = MoveTracker()
    tracker.on_event(parse_move_event(0, "", GOOD), now_mono=100.0)
    assert tracker.running(now_mono=101.0) == [
        {
            "move_id": "m-1",
            "kind": "wake_up",
            "started": 1700000000.25,
            "duration": 2.5,
            "elapsed": 1.0,
        }
    ]
    tracker.on_event(parse_move_event(0, "", {**GOOD, "event": "completed"}), now_mono=102.5)
    assert tracker.running(now_mono=102.5) == []


def test_running_moves_come_oldest_first_with_elapsed_at_most_their_duration() -> None:
    tracker = MoveTracker()
    tracker.on_event(parse_move_event(0, "", {**GOOD, "move_id": "b"}), now_mono=10.0)
    tracker.on_event(parse_move_event(0, "", {**GOOD, "move_id": "a"}), now_mono=11.0)
    running = tracker.running(now_mono=14.0)
    assert [(m["move_id"], m["elapsed"]) for m in running] == [("b", 2.5), ("a", 2.5)]


def test_a_move_without_an_end_is_dropped_once_its_duration_and_grace_ran_out() -> None:
    tracker = MoveTracker()
    tracker.on_event(parse_move_event(0, "", GOOD), now_mono=0.0)
    assert tracker.running(now_mono=2.5 + motion.END_GRACE_S - 0.1) != []
    assert tracker.running(now_mono=2.5 + motion.END_GRACE_S + 0.1) == []


def test_an_end_of_a_move_never_seen_starting_changes_nothing() -> None:
    tracker = MoveTracker()
    tracker.on_event(parse_move_event(0, "", GOOD), now_mono=0.0)
    tracker.on_event(
        parse_move_event(2, "lost", {**GOOD, "move_id": "other", "event": "failed"}),
        now_mono=0.5,
    )
    assert [m["move_id"] for m in tracker.running(now_mono=1.0)] == ["m-1"]
