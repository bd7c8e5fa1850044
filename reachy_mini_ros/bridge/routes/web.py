"""Serve the built dashboard, with index.html for every client-side route.

Where the dashboard is not built (a colcon build without Node.js and npm), its routes answer
200 with a page that says so and how to build it: the API works all the same.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

# Paths that belong to the server: never answered with the dashboard.
RESERVED_PREFIXES = ("api", "system", "ws", "docs", "redoc", "openapi.json", "metrics")
NOT_BUILT_TITLE = "The Reachy Mini dashboard is not built"


def not_built_page(dist: Path) -> str:
    """Return the page served in place of the dashboard when dist holds no index.html."""
    where = html.escape(str(dist))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{NOT_BUILT_TITLE}</title></head>
<body style="font-family: sans-serif; max-width: 44em; margin: 3em auto; line-height: 1.5">
<h1>{NOT_BUILT_TITLE}</h1>
<p>The bridge found no <code>index.html</code> in <code>{where}</code>. The robot's API works
without it: <a href="/docs">/docs</a>, <a href="/api/health">/api/health</a>.</p>
<p>To build it, install Node.js and npm (<code>rosdep install --from-paths src --ignore-src
-y</code> installs them), then either rebuild the workspace with <code>colcon build</code>,
which builds the dashboard when npm is there, or, in the source tree, run <code>cd web &amp;&amp;
npm ci &amp;&amp; npm run build</code> (<code>make build</code> does the same). Restart the
bridge afterwards.</p>
</body></html>
"""


def web_router(dist: Path) -> APIRouter:
    """Return a router that serves files from dist and falls back to dist/index.html."""
    router = APIRouter(include_in_schema=False)
    root = dist.resolve()

    @router.get("/{path:path}")
    async def spa(path: str) -> Response:
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
            return HTMLResponse(not_built_page(root), headers={"Cache-Control": "no-cache"})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    return router
