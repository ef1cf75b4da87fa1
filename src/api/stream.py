"""GET /v1/stream: Server-Sent Events of transitions and alerts. `Last-Event-ID` (or ?after=)
resumes exactly after the last event the client saw; without it the stream starts now.

The key may come as `?key=` here (a browser's EventSource sends no headers). An EventSource
reconnects to the same URL with a `Last-Event-ID` header, so that header wins over `?after=`:
it is always the newer position."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse

from api.auth import StreamReader
from api.ops import ResourcesDep
from tracker.store.stream import events_after, latest_event_id

router = APIRouter(prefix="/v1", tags=["live"])
POLL_S = 0.5


def _words(value: str | None) -> list[str] | None:
    words = [w.strip() for w in (value or "").split(",") if w.strip()]
    return words or None


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "one SSE event per asset event"},
        401: {},
        403: {},
    },
)
async def stream(
    request: Request,
    res: ResourcesDep,
    key: StreamReader,
    kinds: Annotated[
        str | None, Query(max_length=500, description="comma-separated event kinds")
    ] = None,
    site: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> EventSourceResponse:
    sites = sorted(key.sites) if key.sites is not None else None
    if site is not None:
        sites = [site] if sites is None or site in sites else ["\x00none"]
    resume = _int_or_none(last_event_id)
    if resume is None:
        resume = after
    return EventSourceResponse(_events(request, res, _words(kinds), sites, resume), ping=15)


def _int_or_none(value: str | None) -> int | None:
    # A Last-Event-ID this API never gave out (not a bigint) starts the stream from now.
    if value is None or not value.isdigit() or int(value) > 2**63 - 1:
        return None
    return int(value)


async def _events(
    request: Request,
    res: ResourcesDep,
    kinds: list[str] | None,
    sites: list[str] | None,
    resume: int | None,
) -> AsyncIterator[dict[str, Any]]:
    async with res.engine.connect() as conn:
        cursor = resume if resume is not None else await latest_event_id(conn)
    while not await request.is_disconnected():
        async with res.engine.connect() as conn:
            rows = await events_after(conn, cursor, kinds, sites)
        for row in rows:
            cursor = row["id"]
            yield {"id": str(row["id"]), "event": row["kind"], "data": orjson.dumps(row).decode()}
        if not rows:
            await asyncio.sleep(POLL_S)
