"""Config: sites with their zones and read points, site files applied through the API, and
unknown tags (list, enrol as assets)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from api.assets import AssetDetail
from api.auth import Admin, AssetsReader, Principal
from api.custody import Cursor, Limit, QueryId, visible
from api.ops import ResourcesDep
from api.paging import make_cursor, read_cursor
from api.registry import (
    AssetsWriter,
    JsonObject,
    Money,
    PathId,
    Words,
    error_responses,
    invalid,
    registry_problem,
    sees_or_403,
    storable_json,
)
from tracker.siteconfig import (
    ChangeReport,
    SiteConfigConflict,
    SiteConfigError,
    apply_site_config,
    parse_site_data,
)
from tracker.siteconfig.model import Id
from tracker.store.asset_views import get_asset
from tracker.store.config_views import (
    get_site,
    get_unknown_tag,
    list_read_points,
    list_sites,
    list_unknown_tags,
    list_zones,
)
from tracker.store.registry_writes import (
    AssetExists,
    DuplicateIdentifier,
    NewAsset,
    UnknownReference,
    create_asset,
    mark_unknown_tag_enrolled,
    scheme_of_canonical,
)

router = APIRouter(prefix="/v1", tags=["config"])
_READ = error_responses(422, scope="assets:read")


class ZonePublic(BaseModel):
    id: str
    site_id: str
    name: str
    kind: str
    sgln: str | None


class ReadPointPublic(BaseModel):
    id: str
    reader_id: str
    antenna: int | None = Field(description="null: every antenna of the reader")
    role: str
    door: str | None
    zone_id: str
    site_id: str


class SitePublic(BaseModel):
    id: str
    name: str
    gln: str | None
    timezone: str
    zone_count: int
    read_point_count: int
    created_at: datetime
    updated_at: datetime


class SiteDetail(SitePublic):
    zones: list[ZonePublic]
    read_points: list[ReadPointPublic]


class ChangePublic(BaseModel):
    kind: str
    id: str
    action: str
    fields: list[str]


class ChangeReportPublic(BaseModel):
    dry_run: bool = Field(description="true: nothing was written; this is what would change")
    changed: bool
    changes: list[ChangePublic] = Field(description="every row the file names, and deletions")
    counts: dict[str, dict[str, int]] = Field(description="kind → action → how many")


class UnknownTagPublic(BaseModel):
    tag: str = Field(description="canonical form, as reads resolve it")
    tag_kind: str
    first_seen_at: datetime
    last_seen_at: datetime
    read_count: int
    last_reader_id: str | None
    last_read_point_id: str | None
    site_id: str | None = Field(description="of the read point that last heard it")
    enrolled_asset_id: str | None


class UnknownTagPage(BaseModel):
    items: list[UnknownTagPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class Enrolment(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"asset_id": "dc1-crate-9001", "type_id": "crate-60x40", "home_site_id": "dc1"}
            ]
        },
    )
    asset_id: Id
    type_id: Id
    home_site_id: Id
    owner: Words | None = None
    value: Money | None = None
    attributes: JsonObject = {}


_SITE_FILE_EXAMPLE = {
    "sites": [
        {
            "id": "dc1",
            "name": "DC Nord",
            "timezone": "Europe/Berlin",
            "zones": [
                {"id": "dc1-dock", "name": "Dock", "kind": "dock"},
                {"id": "dc1-yard", "name": "Yard", "kind": "yard"},
            ],
            "doors": [
                {
                    "id": "dc1-door-01",
                    "zone": "dc1-dock",
                    "reader": "dc1-dock-01",
                    "inside_antenna": 1,
                    "outside_antenna": 2,
                }
            ],
            "zone_readers": [{"reader": "dc1-yard-reader", "zone": "dc1-yard"}],
        }
    ],
    "custodians": [{"id": "acme", "name": "ACME Retail", "kind": "customer", "return_days": 14}],
    "asset_types": [{"id": "crate-60x40", "name": "Crate 60x40", "replacement_value": "42.50"}],
}


@router.get("/sites", summary="List sites", response_model=list[SitePublic], responses=_READ)
async def get_sites(res: ResourcesDep, key: AssetsReader) -> list[SitePublic]:
    async with res.engine.connect() as conn:
        rows = await list_sites(conn, visible(key))
    return [SitePublic(**row) for row in rows]


@router.get(
    "/sites/{site_id}",
    summary="One site with its zones and read points",
    response_model=SiteDetail,
    responses=error_responses(404, 422, scope="assets:read"),
)
async def get_one_site(res: ResourcesDep, key: AssetsReader, site_id: PathId) -> SiteDetail:
    async with res.engine.connect() as conn:
        site = await get_site(conn, site_id) if key.sees_site(site_id) else None
    if site is None:
        raise HTTPException(404, f"no site {site_id!r}")
    return SiteDetail(**site)


@router.get("/zones", summary="List zones", response_model=list[ZonePublic], responses=_READ)
async def get_zones(res: ResourcesDep, key: AssetsReader, site: QueryId = None) -> list[ZonePublic]:
    async with res.engine.connect() as conn:
        rows = await list_zones(conn, site, visible(key))
    return [ZonePublic(**row) for row in rows]


@router.get(
    "/read-points",
    summary="List read points",
    response_model=list[ReadPointPublic],
    responses=_READ,
)
async def get_read_points(
    res: ResourcesDep, key: AssetsReader, site: QueryId = None
) -> list[ReadPointPublic]:
    async with res.engine.connect() as conn:
        rows = await list_read_points(conn, site, visible(key))
    return [ReadPointPublic(**row) for row in rows]


def _site_file_problem(exc: SiteConfigError) -> RequestValidationError:
    """422 naming each problem by its place in the site file (`body.sites[0].doors[1].zone`)."""
    found = []
    for line in exc.problems:
        where, sep, message = line.partition(": ")
        loc = ("body", where) if sep else ("body",)
        found.append({"loc": loc, "msg": message if sep else line, "type": "value_error"})
    return RequestValidationError(found)


def _report(report: ChangeReport, dry_run: bool) -> ChangeReportPublic:
    return ChangeReportPublic(
        dry_run=dry_run,
        changed=report.changed,
        changes=[
            ChangePublic(kind=c.kind, id=c.id, action=c.action.value, fields=list(c.fields))
            for c in report.changes
        ],
        counts={
            kind: {action.value: n for action, n in actions.items()}
            for kind, actions in report.counts().items()
        },
    )


@router.post(
    "/sites/apply",
    summary="Apply a site file (site.yaml as JSON)",
    response_model=ChangeReportPublic,
    responses=error_responses(409, 422, scope="admin"),
)
async def apply_sites(
    res: ResourcesDep,
    key: Admin,
    site_file: Annotated[dict[str, Any], Body(examples=[_SITE_FILE_EXAMPLE])],
    prune: bool = False,
    dry_run: bool = False,
) -> ChangeReportPublic:
    """Creates or updates the file's sites, zones, doors, readers, custodians and asset types
    (idempotent); `prune` deletes the zones and read points of these sites that the file
    drops. `dry_run` applies and rolls back, so the report is exactly what would change.
    Invalid files are a 422 naming each problem's path; nothing is applied then."""
    try:
        storable_json(site_file, max_bytes=1_048_576)
    except ValueError as exc:
        raise invalid(("body",), str(exc)) from None
    try:
        config = parse_site_data(site_file)
    except SiteConfigError as exc:
        raise _site_file_problem(exc) from None
    for site in config.sites:
        sees_or_403(key, site.id)
    async with res.engine.connect() as conn:
        transaction = await conn.begin()
        try:
            report = await apply_site_config(conn, config, prune=prune)
        except (SiteConfigConflict, IntegrityError) as exc:
            # A file can be valid on its own and still clash with rows other files made.
            await transaction.rollback()
            reason = exc.orig if isinstance(exc, IntegrityError) else exc
            raise HTTPException(409, f"nothing applied: {reason}") from None
        await (transaction.rollback() if dry_run else transaction.commit())
    return _report(report, dry_run)


def _unknown_after(cursor: str | None) -> tuple[datetime, str] | None:
    after = read_cursor(cursor)
    if after is None:
        return None
    try:
        at, tag = after
        return datetime.fromisoformat(at), str(tag)
    except (TypeError, ValueError):
        raise HTTPException(422, "cursor: not a cursor this API gave out") from None


@router.get(
    "/unknown-tags",
    summary="Tags read but not registered, newest first",
    response_model=UnknownTagPage,
    responses=_READ,
)
async def get_unknown_tags(
    res: ResourcesDep,
    key: AssetsReader,
    enrolled: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> UnknownTagPage:
    """Ordered by last read, newest first. A site-limited key sees the tags last read at its
    sites; a tag heard by no configured read point only keys for every site see."""
    after = _unknown_after(cursor)
    async with res.engine.connect() as conn:
        rows = await list_unknown_tags(conn, enrolled, visible(key), after, limit + 1)
    page = rows[:limit]
    last = page[-1] if len(rows) > limit else None
    return UnknownTagPage(
        items=[UnknownTagPublic(**row) for row in page],
        next_cursor=make_cursor([last["last_seen_at"].isoformat(), last["tag"]]) if last else None,
    )


@router.post(
    "/unknown-tags/{tag:path}/enrol",
    summary="Register an unknown tag as a new asset",
    status_code=201,
    response_model=AssetDetail,
    responses=error_responses(404, 409, 422),
)
async def enrol_unknown_tag(
    res: ResourcesDep,
    key: AssetsWriter,
    tag: PathId,
    body: Enrolment,
) -> AssetDetail:
    """The new asset gets the tag as its identifier, so its next reads resolve to it; the
    unknown tag is kept, marked with the asset it became."""
    sees_or_403(key, body.home_site_id)
    try:
        async with res.engine.begin() as conn:
            unknown = await _visible_unknown_tag(conn, key, tag)
            identifier = (tag, scheme_of_canonical(tag, unknown["tag_kind"]))
            asset = NewAsset(
                body.asset_id,
                body.type_id,
                body.home_site_id,
                body.owner,
                body.value,
                body.attributes,
                [identifier],
            )
            await create_asset(conn, asset)
            await mark_unknown_tag_enrolled(conn, tag, body.asset_id)
            created = await get_asset(conn, body.asset_id)
    except (AssetExists, DuplicateIdentifier, UnknownReference) as exc:
        raise registry_problem(exc) from None
    return AssetDetail(**(created or {}))


async def _visible_unknown_tag(conn: AsyncConnection, key: Principal, tag: str) -> dict[str, Any]:
    unknown = await get_unknown_tag(conn, tag, lock=True)
    if unknown is None or not key.sees_site(unknown["site_id"]):
        raise HTTPException(404, f"no unknown tag {tag!r}")
    if unknown["enrolled_asset_id"] is not None:
        raise HTTPException(
            409, f"tag {tag!r} is already enrolled as asset {unknown['enrolled_asset_id']!r}"
        )
    return unknown
