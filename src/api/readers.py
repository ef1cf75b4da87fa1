"""GET /v1/readers: every reader, its read points and its adapter's live health."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import AssetsReader
from api.ops import ResourcesDep
from tracker.store.readers import list_readers

router = APIRouter(prefix="/v1", tags=["config"])


class ReadPointPublic(BaseModel):
    read_point_id: str
    antenna: int | None
    role: str
    door: str | None
    zone_id: str
    site_id: str


class ReaderPublic(BaseModel):
    reader_id: str
    read_points: list[ReadPointPublic] = Field(description="empty: reporting, not configured")
    connected: bool | None = Field(description="null: no adapter has reported on it")
    last_report_at: datetime | None
    reads_per_s: float
    host: str | None
    health_updated_at: datetime | None
    health_stale: bool = Field(description="the adapter has not written health for 30 s")


@router.get(
    "/readers",
    response_model=list[ReaderPublic],
    responses={401: {"description": "no valid API key"}, 403: {"description": "lacks assets:read"}},
)
async def get_readers(res: ResourcesDep, key: AssetsReader) -> list[ReaderPublic]:
    async with res.engine.connect() as conn:
        rows = await list_readers(conn)
    readers = [ReaderPublic(**row) for row in rows]
    # A key limited to sites sees the readers of those sites only.
    return [
        r
        for r in readers
        if key.sites is None or any(p.site_id in key.sites for p in r.read_points)
    ]
