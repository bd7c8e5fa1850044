"""Serve the built dashboard, with index.html for every client-side route."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

# Paths that belong to the server: never answered with the dashboard.
RESERVED_PREFIXES = ("api", "system", "ws", "docs", "redoc", "openapi.json", "metrics")


def web_router(dist: Path) -> APIRouter:
    """Return a router that serves files from dist and falls back to dist/index.html."""
    router = APIRouter(include_in_schema=False)
    root = dist.resolve()

    @router.get("/{path:path}")
    async def spa(path: str) -> FileResponse:
        first = path.split("/", 1)[0]
        if first in RESERVED_PREFIXES:
            raise HTTPException(status_code=404, detail=f"no route for /{path}")
        if "\x00" in path:
            # No file name holds a NUL, and the OS refuses it: not a path of the dashboard.
            raise HTTPException(status_code=400, detail="the path holds a NUL byte")
        if path:
            try:
                candidate = (root / path).resolve()
                found = candidate.is_relative_to(root) and candidate.is_file()
            except (OSError, ValueError):  # a name the OS refuses (too long...): no such file
                found = False
            if found:
                return FileResponse(candidate)
            if "." in path.rsplit("/", 1)[-1]:
                # A missing file (an old asset name): answering HTML would break the page.
                raise HTTPException(status_code=404, detail=f"no file /{path}")
        index = root / "index.html"
        if not index.is_file():
            raise HTTPException(status_code=404, detail="the web dashboard is not built")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    return router
