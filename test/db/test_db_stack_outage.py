"""The whole stack on PostgreSQL rides out a database outage without losing audited commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pg import PostgresServer
from support import Stack, running_stack, wait_for


def health(stack: Stack) -> dict[str, Any]:
    """Return /api/health's body (answered with 200 while only the database is down)."""
    response = stack.get("/api/health")
    assert response.status_code == 200, response.text
    return dict(response.json())


def command(stack: Stack, number: int) -> None:
    """Send joint goals that name this command in the audit log (a distinct antenna angle)."""
    goal = round(number * 0.001, 6)
    response = stack.post("/api/commands/joints", {"goals": {"right_antenna": goal}})
    assert response.status_code == 200, response.text


def audited_commands(stack: Stack) -> list[float]:
    """Return the antenna goal of every accepted joints command in GET /api/events."""
    goals: list[float] = []
    offset = 0
    while True:
        response = stack.get(
            "/api/events", params={"kind": "command", "limit": 500, "offset": offset}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        for event in page["items"]:
            details = event["details"]
            if details.get("command") == "joints" and details.get("accepted"):
                goals.append(details["args"]["goals"]["right_antenna"])
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return goals


def test_stack_keeps_serving_and_auditing_through_a_database_outage(
    tmp_path: Path, pg_server: PostgresServer, pg_url: str
) -> None:
    with running_stack(tmp_path, env={"DATABASE_URL": pg_url}) as stack:
        wait_for(
            lambda: health(stack)["components"]["database"],
            60.0,
            "the bridge to report the database healthy",
        )
        sent = []
        for number in range(10):
            command(stack, number)
            sent.append(number)

        pg_server.stop()
        # Commands go on; the writer finds the server gone as soon as it writes them.
        for number in range(10, 20):
            command(stack, number)
            sent.append(number)

        def database_down() -> dict[str, Any] | None:
            body = health(stack)
            return None if body["components"]["database"] else body

        body = wait_for(database_down, 30.0, "/api/health to report the database down")
        assert body["status"] == "degraded"
        assert stack.get("/api/events").status_code == 503
        for number in range(20, 40):
            command(stack, number)
            sent.append(number)

        pg_server.start()
        wait_for(
            lambda: health(stack)["components"]["database"],
            60.0,
            "the bridge to report the database healthy again",
        )
        expected = sorted(round(number * 0.001, 6) for number in sent)

        def all_audited() -> list[float] | None:
            goals = sorted(audited_commands(stack))
            return goals if len(goals) >= len(expected) else None

        goals = wait_for(all_audited, 30.0, "every command to be in the event log")
        assert goals == expected
