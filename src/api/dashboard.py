"""The operations dashboard: static HTML, CSS and JavaScript modules from `api/dashboard/`,
served as they are (no build step, nothing from a CDN). `/` is the page; its files live under
`/dashboard/`. The page talks to the same API with the key the operator enters, so these
routes need none; they stay out of the OpenAPI schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

ROOT = Path(__file__).parent / "dashboard"
# Explicit, because the platform's mimetypes may call JavaScript application/x-javascript and
# a browser refuses a module script with a non-JavaScript type.
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*\.(js|css|svg)$")
# The page is small and changes with the code: revalidate rather than cache stale copies.
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

router = APIRouter(include_in_schema=False)


def _file(name: str) -> FileResponse:
    path = ROOT / name
    if not path.is_file():
        raise HTTPException(404, f"no dashboard file {name!r}")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=_HEADERS)


@router.get("/")
async def dashboard_page() -> FileResponse:
    return _file("index.html")


@router.get("/dashboard/{name}")
async def dashboard_file(name: Annotated[str, PathParam(max_length=64)]) -> FileResponse:
    # One flat folder of known kinds: no path separators, so nothing outside it is reachable.
    if not _NAME.match(name):
        raise HTTPException(404, f"no dashboard file {name!r}")
    return _file(name)
