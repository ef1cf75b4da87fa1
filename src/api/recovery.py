"""Recovery cases: open one, list them, read one, count the open ones per stage; and what the
bench steps (api.recovery_steps) share: answers to refusals, visibility, idempotent creates.
Rules live in tracker.recovery; a step they refuse is a 409 naming what is missing."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth import AssetsReader, Principal, RecoveryWriter
from api.custody import Cursor, Limit, QueryId, visible
from api.ops import ResourcesDep
from api.paging import make_cursor, read_cursor
from api.recovery_schemas import (
    CaseDetail,
    CaseOpen,
    CasePage,
    CasePublic,
    StageCount,
)
from api.registry import PathId, error_responses, invalid
from api.responses import OrjsonResponse
from readers.handheld import tag_kind_of
from tracker.identity import IdentifierError, canonical_tag
from tracker.recovery import (
    RecoveryRefused,
    ReturnCategory,
    Stage,
)
from tracker.recovery.store import (
    CaseFilter,
    CaseRequest,
    UnknownAsset,
    UnknownCase,
    UnknownRepair,
    case_sites,
    get_case,
    list_cases,
    open_case,
    open_cases_by_stage,
)
from tracker.store.asset_views import asset_id_by_identifier, get_asset
from tracker.store.idempotency import claim, complete

router = APIRouter(prefix="/v1/recovery", tags=["recovery"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=128,
        description="a retry with the same key and body gets the first answer, creating nothing",
    ),
]
WRITE = "recovery:write"
READ = "assets:read"


@contextlib.contextmanager
def answers() -> Iterator[None]:
    """The store's refusals as HTTP answers: 409 names the missing step, 404 the unknown."""
    try:
        yield
    except RecoveryRefused as exc:
        raise HTTPException(409, str(exc)) from None
    except UnknownCase as exc:
        raise HTTPException(404, f"no recovery case {exc.args[0]!r}") from None
    except UnknownRepair as exc:
        raise HTTPException(404, f"no repair order {exc.args[0]} on this case") from None
    except UnknownAsset as exc:
        raise invalid(("body", "asset_id"), f"no asset {exc.args[0]!r}") from None


def _sees(key: Principal, sites: tuple[str, str | None]) -> bool:
    return key.sees_site(sites[0]) or key.sees_site(sites[1])


async def visible_case(conn: AsyncConnection, key: Principal, case_id: str) -> None:
    try:
        sites = await case_sites(conn, case_id)
    except UnknownCase:
        sites = None
    if sites is None or not _sees(key, sites):
        raise HTTPException(404, f"no recovery case {case_id!r}")


async def case_detail(conn: AsyncConnection, case_id: str) -> CaseDetail:
    case = await get_case(conn, case_id)
    if case is None:
        raise HTTPException(404, f"no recovery case {case_id!r}")
    return CaseDetail(**case)


Work = Callable[[AsyncConnection], Awaitable[CaseDetail]]


async def on_case(res: ResourcesDep, key: Principal, case_id: str, work: Work) -> CaseDetail:
    """One step on a visible case, in one transaction, answering with the case after it."""
    with answers():
        async with res.engine.begin() as conn:
            await visible_case(conn, key, case_id)
            return await work(conn)


async def once(res: ResourcesDep, request: Request, idempotency_key: str | None, work: Work) -> Any:
    """A create with an optional Idempotency-Key. The key is claimed in the create's own
    transaction: a concurrent retry waits for it, then gets its answer; a refused create
    leaves no claim behind, so a retry tries again."""
    with answers():
        async with res.engine.begin() as conn:
            if idempotency_key is None:
                return await work(conn)
            body = await request.body()
            digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode() + body)
            claimed = await claim(conn, idempotency_key, digest.hexdigest())
            if claimed.outcome == "replay":
                return OrjsonResponse(claimed.response, status_code=claimed.status_code or 201)
            if claimed.outcome != "claimed":
                raise invalid(("header", "Idempotency-Key"), "this key came with another request")
            answer = await work(conn)
            await complete(conn, idempotency_key, 201, answer.model_dump(mode="json"))
            return answer


async def _asset_of(conn: AsyncConnection, key: Principal, body: CaseOpen) -> str:
    """The asset the body names, by id or by any identifier; 422 when there is none."""
    if body.asset_id is not None:
        field, wanted = "asset_id", body.asset_id
        asset = await get_asset(conn, body.asset_id)
    else:
        field, wanted = "identifier", body.identifier or ""
        candidates = [wanted.strip()]
        with contextlib.suppress(IdentifierError):
            candidates.insert(0, canonical_tag(wanted, tag_kind_of(wanted, "auto")))
        found = await asset_id_by_identifier(conn, candidates)
        asset = await get_asset(conn, found) if found else None
    if asset is None or not _sees(key, (asset["home_site_id"], asset["site_id"])):
        raise invalid(("body", field), f"no asset {wanted!r}")
    return str(asset["id"])


@router.post(
    "/cases",
    summary="Open a recovery case by hand",
    status_code=201,
    response_model=CaseDetail,
    responses=error_responses(409, 422, scope=WRITE),
)
async def post_case(
    request: Request,
    res: ResourcesDep,
    key: RecoveryWriter,
    body: CaseOpen,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """The asset (by id or any identifier) must be in service at one of our sites (a
    returned asset is, once checked in) and have no open case: 409 otherwise. Its usage
    history is attached; it goes `in_recovery`."""

    async def work(conn: AsyncConnection) -> CaseDetail:
        asset_id = await _asset_of(conn, key, body)
        opening = CaseRequest(
            asset_id=asset_id,
            return_category=body.return_category,
            by=body.by,
            reason=body.reason,
            condition_notes=body.condition_notes,
        )
        return await case_detail(conn, await open_case(conn, opening, datetime.now(UTC)))

    return await once(res, request, idempotency_key, work)


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    position = read_cursor(cursor)
    if position is None:
        return None
    try:
        opened_at, case_id = position
        return datetime.fromisoformat(opened_at), str(case_id)
    except (TypeError, ValueError):
        raise HTTPException(422, "cursor: not a cursor this API gave out") from None


@router.get(
    "/cases",
    summary="List recovery cases, oldest first",
    response_model=CasePage,
    responses=error_responses(422, scope=READ),
)
async def get_cases(
    res: ResourcesDep,
    key: AssetsReader,
    stage: Stage | None = None,
    category: ReturnCategory | None = None,
    site: Annotated[QueryId, Query(description="where the asset is now")] = None,
    status: Literal["open", "closed"] | None = None,
    asset: QueryId = None,
    cursor: Cursor = None,
    limit: Limit = 100,
) -> CasePage:
    """Keyset paged by (opened_at, id). A site-limited key sees the cases of assets whose
    home or current site is one of its sites."""
    closed = None if status is None else status == "closed"
    f = CaseFilter(stage, category, site, closed, asset, visible(key))
    async with res.engine.connect() as conn:
        rows = await list_cases(conn, f, _after(cursor), limit + 1)
    page = rows[:limit]
    last = page[-1] if page else None
    return CasePage(
        items=[CasePublic(**row) for row in page],
        next_cursor=make_cursor([last["opened_at"].isoformat(), last["id"]])
        if last and len(rows) > limit
        else None,
    )


@router.get(
    "/stages",
    summary="Open recovery cases per stage (and return category)",
    response_model=list[StageCount],
    responses=error_responses(scope=READ),
)
async def get_stages(res: ResourcesDep, key: AssetsReader) -> list[StageCount]:
    async with res.engine.connect() as conn:
        rows = await open_cases_by_stage(conn, visible(key))
    return [StageCount(**row) for row in rows]


@router.get(
    "/cases/{case_id}",
    summary="One case: checks, certificates, repairs, usage and what is left to do",
    response_model=CaseDetail,
    responses=error_responses(404, 422, scope=READ),
)
async def get_one_case(res: ResourcesDep, key: AssetsReader, case_id: PathId) -> CaseDetail:
    async with res.engine.connect() as conn:
        await visible_case(conn, key, case_id)
        return await case_detail(conn, case_id)
