"""Assets: list (filtered, keyset paged), one, lookup by any identifier, history, counts."""

from __future__ import annotations

import contextlib
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel, Field

from api.auth import AssetsReader, Principal
from api.ops import ResourcesDep
from api.paging import make_cursor, read_cursor
from api.responses import ModelResponse
from readers.handheld import tag_kind_of
from tracker.identity import IdentifierError, canonical_tag
from tracker.store.asset_views import (
    AssetFilter,
    asset_history,
    fetch_asset,
    fetch_asset_by_identifier,
    fetch_asset_page,
    get_asset,
    location_counts,
)

router = APIRouter(prefix="/v1", tags=["assets"])
_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API key"},
    403: {"description": "lacks assets:read"},
}


class AssetPublic(BaseModel):
    id: str
    type_id: str
    type_name: str
    home_site_id: str
    owner: str | None
    value: Decimal
    attributes: dict[str, Any]
    status: str
    site_id: str | None = Field(description="null while the asset is off our sites")
    zone_id: str | None
    custodian_id: str
    dispatch_id: str | None
    return_due_at: datetime | None
    last_seen_at: datetime | None
    last_read_point_id: str | None
    trips: int
    open_alerts: int
    created_at: datetime
    retired_at: datetime | None


class Identifier(BaseModel):
    scheme: str
    value: str


class AssetDetail(AssetPublic):
    identifiers: list[Identifier]


class AssetPage(BaseModel):
    items: list[AssetPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class AssetEvent(BaseModel):
    id: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    observation_id: str | None
    site_id: str | None
    zone_id: str | None
    late: bool
    clock_clamped: bool
    payload: dict[str, Any]


class HistoryPage(BaseModel):
    items: list[AssetEvent]
    next_cursor: str | None


class LocationCount(BaseModel):
    site_id: str | None
    zone_id: str | None
    status: str
    assets: int


def _visible(key: Principal) -> list[str] | None:
    return sorted(key.sites) if key.sites is not None else None


@router.get("/assets", response_model=AssetPage, responses=_AUTH)
async def get_assets(
    res: ResourcesDep,
    key: AssetsReader,
    site: str | None = None,
    zone: str | None = None,
    status: Annotated[
        str | None,
        Query(pattern="^(in_service|in_transit|at_custodian|missing|lost|in_recovery|retired)$"),
    ] = None,
    type: str | None = None,
    custodian: str | None = None,
    seen_before: AwareDatetime | None = None,
    seen_after: AwareDatetime | None = None,
    has_open_alert: bool | None = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ModelResponse:
    after = read_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise HTTPException(422, "cursor: not a cursor this API gave out")
    f = AssetFilter(
        site, zone, status, type, custodian, seen_before, seen_after, has_open_alert, _visible(key)
    )
    async with res.driver() as db:
        rows = await fetch_asset_page(db, f, after, limit + 1)
    page = rows[:limit]
    more = len(rows) > limit
    return ModelResponse(
        AssetPage.model_validate(
            {"items": page, "next_cursor": make_cursor(page[-1]["id"]) if more else None}
        )
    )


@router.get(
    "/assets/lookup",
    response_model=AssetDetail,
    responses={**_AUTH, 404: {"description": "no asset has this identifier"}},
)
async def lookup_asset(
    res: ResourcesDep,
    key: AssetsReader,
    tag: Annotated[str, Query(min_length=1, max_length=256, examples=["(8003)00614141123452400"])],
) -> ModelResponse:
    """Any identifier form: EPC URI, raw EPC hex, GS1 barcode (e.g. a GRAI), or a serial."""
    candidates = [tag.strip()]
    # Not an EPC or GS1 form: maybe a serial, stored as it is.
    with contextlib.suppress(IdentifierError):
        candidates.insert(0, canonical_tag(tag, tag_kind_of(tag, "auto")))
    async with res.driver() as db:
        asset = await fetch_asset_by_identifier(db, candidates)
    return ModelResponse(_visible_asset(asset, key, f"no asset has the identifier {tag!r}"))


@router.get(
    "/assets/{asset_id}",
    response_model=AssetDetail,
    responses={**_AUTH, 404: {"description": "no such asset"}},
)
async def get_one_asset(res: ResourcesDep, key: AssetsReader, asset_id: str) -> ModelResponse:
    async with res.driver() as db:
        asset = await fetch_asset(db, asset_id)
    return ModelResponse(_visible_asset(asset, key, f"no asset {asset_id!r}"))


def _visible_asset(asset: dict[str, Any] | None, key: Principal, missing: str) -> AssetDetail:
    if asset is None or not (
        key.sees_site(asset["home_site_id"]) or key.sees_site(asset["site_id"])
    ):
        raise HTTPException(404, missing)
    return AssetDetail.model_validate(asset)


@router.get(
    "/assets/{asset_id}/history",
    response_model=HistoryPage,
    responses={**_AUTH, 404: {"description": "no such asset"}},
)
async def get_history(
    res: ResourcesDep,
    key: AssetsReader,
    asset_id: str,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> HistoryPage:
    """Everything that happened to the asset, in event-time order."""
    after = read_cursor(cursor)
    if after is not None and not (
        isinstance(after, list)
        and len(after) == 2
        and isinstance(after[1], int)
        and isinstance(after[0], str)
    ):
        raise HTTPException(422, "cursor: not a cursor this API gave out")
    async with res.reads.connect() as conn:
        asset = await get_asset(conn, asset_id)
        _visible_asset(asset, key, f"no asset {asset_id!r}")
        rows = await asset_history(
            conn,
            asset_id,
            since,
            until,
            (datetime.fromisoformat(after[0]), after[1]) if after else None,
            limit + 1,
        )
    page = rows[:limit]
    last = page[-1] if page else None
    return HistoryPage(
        items=[AssetEvent(**row) for row in page],
        next_cursor=make_cursor([last["occurred_at"].isoformat(), last["id"]])
        if last and len(rows) > limit
        else None,
    )


@router.get("/stats/locations", response_model=list[LocationCount], responses=_AUTH)
async def get_location_counts(res: ResourcesDep, key: AssetsReader) -> list[LocationCount]:
    """How many assets per site, zone and status (site null: off our sites)."""
    async with res.reads.connect() as conn:
        rows = await location_counts(conn, _visible(key))
    return [LocationCount(**row) for row in rows]
