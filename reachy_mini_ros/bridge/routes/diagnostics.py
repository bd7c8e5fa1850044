"""GET /api/diagnostics: the latest status of every diagnostic name."""

from __future__ import annotations

import time

from fastapi import APIRouter

from reachy_mini_ros.bridge.deps import BridgeDep
from reachy_mini_ros.bridge.schemas import (
    DiagnosticsResponse,
    DiagnosticsSummary,
    DiagnosticStatusModel,
)

router = APIRouter(tags=["robot"])


@router.get("/api/diagnostics", response_model=DiagnosticsResponse)
async def diagnostics(bridge: BridgeDep) -> DiagnosticsResponse:
    """Return the latest statuses seen on /diagnostics, sorted by name."""
    snapshot = bridge.state.diagnostics
    now = time.time()
    return DiagnosticsResponse(
        stamp=snapshot.stamp or None,
        age_s=bridge.state.diagnostics_age(),
        summary=DiagnosticsSummary(**bridge.state.diagnostics_summary()),
        statuses=[
            DiagnosticStatusModel(
                name=s.name,
                level=s.level,
                message=s.message,
                hardware_id=s.hardware_id,
                values=s.values,
                age_s=max(0.0, now - s.received),
            )
            for s in sorted(snapshot.statuses.values(), key=lambda s: s.name)
        ],
    )
