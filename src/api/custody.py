"""Custody: custodians (CRUD, the assets they hold) and dispatches (create, get, list, close)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from api.assets import AssetPage, AssetPublic
from api.auth import AssetsReader, Principal
from api.ops import ResourcesDep
from api.paging import make_cursor, read_cursor
from api.registry import (
    AssetsWriter,
    JsonObject,
    Note,
    PathId,
    Who,
    Words,
    error_responses,
    invalid,
    sees_or_403,
)
from tracker.siteconfig.model import Days, Id
from tracker.store.asset_views import AssetFilter, list_assets
from tracker.store.custody_views import (
    DispatchRefused,
    DispatchStatus,
    NewDispatch,
    close_dispatch,
    create_dispatch,
    custodian_ties,
    delete_custodian,
    get_custodian,
    get_dispatch,
    insert_custodian,
    list_custodians,
    list_dispatches,
    update_custodian,
)

router = APIRouter(prefix="/v1", tags=["custody"])
Cursor = Annotated[str | None, Query(max_length=400)]
Limit = Annotated[int, Query(ge=1, le=500)]
QueryId = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]


class CustodianPublic(BaseModel):
    id: str
    name: str
    kind: str
    site_id: str | None
    return_days: int | None
    contact: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class CustodianPage(BaseModel):
    items: list[CustodianPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class CustodianCreate(BaseModel):
    """Site custodians (`site:<id>`) come with their sites (POST /v1/sites/apply)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "acme",
                    "name": "ACME Retail",
                    "kind": "customer",
                    "return_days": 14,
                    "contact": {"email": "returns@acme.example"},
                }
            ]
        },
    )
    id: Id
    name: Words
    kind: Literal["customer", "carrier", "person"]
    return_days: Days | None = None
    contact: JsonObject = {}


class CustodianUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "ACME", "return_days": 21}]}
    )
    name: Words | None = None
    return_days: Days | None = None
    contact: JsonObject | None = None


def visible(key: Principal) -> list[str] | None:
    return sorted(key.sites) if key.sites is not None else None


def page_after(cursor: str | None) -> str | None:
    after = read_cursor(cursor)
    if after is not None and not isinstance(after, str):
        raise HTTPException(422, "cursor: not a cursor this API gave out")
    return after


async def visible_custodian(
    conn: AsyncConnection, key: Principal, custodian_id: str
) -> dict[str, Any]:
    custodian = await get_custodian(conn, custodian_id)
    if custodian is None or (
        custodian["kind"] == "site" and not key.sees_site(custodian["site_id"])
    ):
        raise HTTPException(404, f"no custodian {custodian_id!r}")
    return custodian


@router.get(
    "/custodians",
    summary="List custodians",
    response_model=CustodianPage,
    responses=error_responses(422, scope="assets:read"),
)
async def get_custodians(
    res: ResourcesDep,
    key: AssetsReader,
    kind: Annotated[str | None, Query(pattern="^(customer|carrier|site|person)$")] = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> CustodianPage:
    """Ordered by id. A site-limited key sees the site custodians of its sites only."""
    async with res.engine.connect() as conn:
        rows = await list_custodians(conn, kind, visible(key), page_after(cursor), limit + 1)
    page = rows[:limit]
    return CustodianPage(
        items=[CustodianPublic(**row) for row in page],
        next_cursor=make_cursor(page[-1]["id"]) if len(rows) > limit else None,
    )


@router.post(
    "/custodians",
    summary="Create a customer, carrier or person custodian",
    status_code=201,
    response_model=CustodianPublic,
    responses=error_responses(409, 422),
)
async def post_custodian(
    res: ResourcesDep, key: AssetsWriter, body: CustodianCreate
) -> CustodianPublic:
    async with res.engine.begin() as conn:
        if not await insert_custodian(conn, {**body.model_dump(), "site_id": None}):
            raise HTTPException(409, f"custodian {body.id!r} already exists")
        created = await get_custodian(conn, body.id)
    return CustodianPublic(**(created or {}))


@router.get(
    "/custodians/{custodian_id}",
    summary="One custodian",
    response_model=CustodianPublic,
    responses=error_responses(404, 422, scope="assets:read"),
)
async def get_one_custodian(
    res: ResourcesDep, key: AssetsReader, custodian_id: PathId
) -> CustodianPublic:
    async with res.engine.connect() as conn:
        return CustodianPublic(**await visible_custodian(conn, key, custodian_id))


@router.patch(
    "/custodians/{custodian_id}",
    summary="Change a custodian's name, return terms or contact",
    response_model=CustodianPublic,
    responses=error_responses(404, 422),
)
async def patch_custodian(
    res: ResourcesDep, key: AssetsWriter, custodian_id: PathId, body: CustodianUpdate
) -> CustodianPublic:
    """Only the fields present change; `return_days` may be set to null (no terms)."""
    if "name" in body.model_fields_set and body.name is None:
        raise invalid(("body", "name"), "name cannot be null")
    if "contact" in body.model_fields_set and body.contact is None:
        raise invalid(("body", "contact"), "contact cannot be null")
    async with res.engine.begin() as conn:
        await visible_custodian(conn, key, custodian_id)
        await update_custodian(conn, custodian_id, body.model_dump(include=body.model_fields_set))
        updated = await get_custodian(conn, custodian_id)
    return CustodianPublic(**(updated or {}))


@router.delete(
    "/custodians/{custodian_id}",
    summary="Delete a custodian that holds nothing and has no dispatches",
    status_code=204,
    response_class=Response,
    responses=error_responses(404, 409, 422),
)
async def remove_custodian(res: ResourcesDep, key: AssetsWriter, custodian_id: PathId) -> Response:
    async with res.engine.begin() as conn:
        custodian = await visible_custodian(conn, key, custodian_id)
        if custodian["kind"] == "site":
            raise HTTPException(409, "a site custodian goes with its site (sites apply --prune)")
        held, open_dispatches, dispatches = await custodian_ties(conn, custodian_id)
        if held or open_dispatches:
            raise HTTPException(
                409,
                f"custodian {custodian_id!r} holds {held} asset(s) and has "
                f"{open_dispatches} open dispatch(es)",
            )
        if dispatches:
            raise HTTPException(
                409,
                f"custodian {custodian_id!r} has {dispatches} dispatch(es) or return(s) in its "
                "history",
            )
        await delete_custodian(conn, custodian_id)
    return Response(status_code=204)


@router.get(
    "/custodians/{custodian_id}/assets",
    summary="The assets a custodian holds",
    response_model=AssetPage,
    responses=error_responses(404, 422, scope="assets:read"),
)
async def get_custodian_assets(
    res: ResourcesDep,
    key: AssetsReader,
    custodian_id: PathId,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> AssetPage:
    """Ordered by asset id, keyset paged."""
    after = page_after(cursor)
    async with res.engine.connect() as conn:
        await visible_custodian(conn, key, custodian_id)
        f = AssetFilter(custodian=custodian_id, visible_sites=visible(key))
        rows = await list_assets(conn, f, after, limit + 1)
    page = rows[:limit]
    return AssetPage(
        items=[AssetPublic(**row) for row in page],
        next_cursor=make_cursor(page[-1]["id"]) if len(rows) > limit else None,
    )


class DispatchLinePublic(BaseModel):
    asset_id: str
    left_at: datetime | None = Field(description="when the asset went out through a door")
    returned_at: datetime | None
    returned_by: str | None = Field(description="the custodian who brought it back")
    returned_to_site_id: str | None
    turnaround_s: int | None
    outcome: Literal["pending", "out", "returned", "unreturned", "cancelled"] = Field(
        description="pending: not left yet; unreturned/cancelled: closed by hand while out or "
        "before it left"
    )


class DispatchPublic(BaseModel):
    id: str
    custodian_id: str
    from_site_id: str
    reference: str | None
    expected_return_at: datetime
    status: Literal["open", "closed", "cancelled"]
    closed_at: datetime | None
    created_at: datetime
    overdue: bool = Field(description="open, past its expected return, lines still out")
    line_count: int
    returned_count: int


class DispatchDetail(DispatchPublic):
    lines: list[DispatchLinePublic]


class DispatchPage(BaseModel):
    items: list[DispatchPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class DispatchCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "D-2026-0042",
                    "custodian_id": "acme",
                    "from_site_id": "dc1",
                    "expected_return_at": "2026-12-01T17:00:00+01:00",
                    "reference": "DESADV 4711",
                    "asset_ids": ["dc1-crate-1000", "dc1-crate-1001"],
                }
            ]
        },
    )
    id: Id | None = Field(default=None, description="omitted: tagtrail picks one")
    custodian_id: Id
    from_site_id: Id
    expected_return_at: AwareDatetime = Field(description="with an offset; in the future")
    reference: Words | None = None
    asset_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)]


class DispatchClose(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"by": "ana@dc1", "note": "customer lost two crates"}]},
    )
    by: Who
    note: Note | None = None


async def visible_dispatch(
    conn: AsyncConnection, key: Principal, dispatch_id: str, *, lock: bool = False
) -> dict[str, Any]:
    dispatch = await get_dispatch(conn, dispatch_id, datetime.now(UTC), lock=lock)
    if dispatch is None or not key.sees_site(dispatch["from_site_id"]):
        raise HTTPException(404, f"no dispatch {dispatch_id!r}")
    return dispatch


@router.post(
    "/dispatches",
    summary="Authorise assets to leave for a custodian",
    status_code=201,
    response_model=DispatchDetail,
    responses=error_responses(409, 422),
)
async def post_dispatch(
    res: ResourcesDep, key: AssetsWriter, body: DispatchCreate
) -> DispatchDetail:
    """The consumer hands custody to the custodian when the assets pass an outbound door (no
    `unauthorized_exit`), and closes each line with its turnaround when the asset returns."""
    now = datetime.now(UTC)
    if body.expected_return_at <= now:
        raise invalid(("body", "expected_return_at"), "must be in the future")
    sees_or_403(key, body.from_site_id)
    asset_ids = list(dict.fromkeys(body.asset_ids))
    dispatch = NewDispatch(
        body.id or f"D-{uuid.uuid4().hex[:12]}",
        body.custodian_id,
        body.from_site_id,
        body.expected_return_at,
        body.reference,
        asset_ids,
    )
    try:
        async with res.engine.begin() as conn:
            await create_dispatch(conn, dispatch, visible(key))
            created = await get_dispatch(conn, dispatch.id, now)
    except DispatchRefused as exc:
        if exc.field is not None:
            raise invalid(("body", exc.field), str(exc)) from None
        raise HTTPException(409, str(exc)) from None
    return DispatchDetail(**(created or {}))


@router.get(
    "/dispatches",
    summary="List dispatches: open, overdue or closed",
    response_model=DispatchPage,
    responses=error_responses(422, scope="assets:read"),
)
async def get_dispatches(
    res: ResourcesDep,
    key: AssetsReader,
    status: Annotated[DispatchStatus | None, Query()] = None,
    custodian: QueryId = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> DispatchPage:
    """Ordered by id. `closed` includes those cancelled (closed before anything left)."""
    after = page_after(cursor)
    async with res.engine.connect() as conn:
        rows = await list_dispatches(
            conn, status, custodian, visible(key), datetime.now(UTC), after, limit + 1
        )
    page = rows[:limit]
    return DispatchPage(
        items=[DispatchPublic(**row) for row in page],
        next_cursor=make_cursor(page[-1]["id"]) if len(rows) > limit else None,
    )


@router.get(
    "/dispatches/{dispatch_id}",
    summary="One dispatch with its lines",
    response_model=DispatchDetail,
    responses=error_responses(404, 422, scope="assets:read"),
)
async def get_one_dispatch(
    res: ResourcesDep, key: AssetsReader, dispatch_id: PathId
) -> DispatchDetail:
    async with res.engine.connect() as conn:
        return DispatchDetail(**await visible_dispatch(conn, key, dispatch_id))


@router.post(
    "/dispatches/{dispatch_id}/close",
    summary="Close a dispatch by hand",
    response_model=DispatchDetail,
    responses=error_responses(404, 409, 422),
)
async def close_one_dispatch(
    res: ResourcesDep, key: AssetsWriter, dispatch_id: PathId, body: DispatchClose
) -> DispatchDetail:
    """Lines still out become `unreturned` (the assets keep their custodian until seen again),
    lines that never left become `cancelled`; each such asset's history gets a
    `dispatch_closed` event with who and why. A dispatch where nothing left is `cancelled`."""
    now = datetime.now(UTC)
    async with res.engine.begin() as conn:
        dispatch = await visible_dispatch(conn, key, dispatch_id, lock=True)
        if not await close_dispatch(conn, dispatch_id, body.by, body.note, now):
            raise HTTPException(409, f"dispatch {dispatch_id!r} is already {dispatch['status']}")
        closed = await get_dispatch(conn, dispatch_id, now)
    return DispatchDetail(**(closed or {}))
