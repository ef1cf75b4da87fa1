"""POST /v1/scans: handheld scans, check-outs and check-ins, with Idempotency-Key and ?wait."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from api.auth import ScansWriter
from api.intake import publish
from api.ops import ResourcesDep
from api.problems import problem
from api.responses import OrjsonResponse
from readers.handheld import scan_to_tagread
from tracker.identity import IdentifierError, canonical_tag
from tracker.store import scan_results
from tracker.store.idempotency import claim, complete, release

WAIT_LIMIT_S = 2.0
router = APIRouter(prefix="/v1", tags=["handheld"])
Text64 = Annotated[str, Field(min_length=1, max_length=64)]


class ScanIn(BaseModel):
    code: Annotated[str, Field(min_length=1, max_length=128, examples=["(8003)00614141123452400"])]
    code_kind: Literal["auto", "epc", "barcode"] = "auto"
    device_id: Text64
    operator: Text64
    action: Literal["scan", "check_out", "check_in", "audit"]
    seen_at: AwareDatetime = Field(description="when the operator scanned (device clock)")
    custodian: Text64 | None = None
    dispatch_id: Text64 | None = None
    scan_id: Text64 | None = Field(default=None, description="the device's own id of the scan")


class AssetNow(BaseModel):
    status: str | None
    site_id: str | None
    zone_id: str | None
    custodian_id: str | None


class ScanResult(BaseModel):
    read_id: str
    tag: str
    asset_id: str | None = Field(description="null: no asset has this identifier (yet)")
    applied: bool = Field(description="the consumer has applied it (only with ?wait=true)")
    state: AssetNow | None


class ScansAccepted(BaseModel):
    accepted: int
    results: list[ScanResult]


@router.post(
    "/scans",
    status_code=202,
    response_model=ScansAccepted,
    responses={
        401: {"description": "no valid API key"},
        403: {"description": "the key lacks the scans:write scope"},
        409: {"description": "the first request with this Idempotency-Key is still running"},
        422: {"description": "invalid scan, or the key was used with another body"},
        503: {"description": "Kafka did not acknowledge; retry after Retry-After seconds"},
    },
)
async def post_scans(
    request: Request,
    scans: ScanIn | list[ScanIn],
    res: ResourcesDep,
    _key: ScansWriter,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
    wait: Annotated[bool, Query(description="wait ≤ 2 s for the result")] = False,
) -> Any:
    batch = scans if isinstance(scans, list) else [scans]
    if not batch or len(batch) > 1000:
        return problem(422, "Invalid scans", "send 1 to 1,000 scans", field="body")
    if idempotency_key is None:
        return await _accept(res, batch, wait)
    digest = hashlib.sha256(await request.body()).hexdigest()
    async with res.engine.begin() as conn:
        claimed = await claim(conn, idempotency_key, digest)
    if claimed.outcome == "replay":
        return OrjsonResponse(claimed.response, status_code=claimed.status_code or 202)
    if claimed.outcome == "mismatch":
        return problem(
            422,
            "Idempotency-Key reused",
            "this key came with another body",
            field="header.Idempotency-Key",
        )
    if claimed.outcome == "in_flight":
        busy = problem(409, "Request in progress", "the first request with this key runs")
        busy.headers["Retry-After"] = "1"
        return busy
    return await _accept_once(res, batch, wait, idempotency_key)


async def _accept_once(res: ResourcesDep, batch: list[ScanIn], wait: bool, key: str) -> Any:
    answer = await _accept(res, batch, wait)
    async with res.engine.begin() as conn:
        if isinstance(answer, ScansAccepted):
            await complete(conn, key, 202, answer.model_dump(mode="json"))
        else:
            await release(conn, key)  # nothing was accepted: a retry may try again
    return answer


async def _accept(res: ResourcesDep, batch: list[ScanIn], wait: bool) -> Any:
    try:
        # An offline device's backlog applies in the order it happened, not upload order.
        ordered = sorted(batch, key=lambda scan: scan.seen_at)
        reads = [scan_to_tagread(**scan.model_dump()) for scan in ordered]
        tags = [canonical_tag(read.tag, read.tag_kind) for read in reads]
    except (ValueError, IdentifierError) as exc:
        return problem(422, "Invalid scan", str(exc), field="body")
    published = await publish(res, reads)
    if isinstance(published, OrjsonResponse):
        return published
    keys = [(tag, read.read_id, read.seen_at) for tag, read in zip(tags, reads, strict=True)]
    rows = await _results(res, keys, wait)
    return ScansAccepted(
        accepted=len(reads),
        results=[
            ScanResult(
                read_id=read.read_id,
                tag=row["tag"],
                asset_id=row["asset_id"],
                applied=bool(row["applied"]) and wait,
                state=AssetNow(**{k: row[k] for k in AssetNow.model_fields})
                if row["asset_id"]
                else None,
            )
            for read, row in zip(reads, rows, strict=True)
        ],
    )


async def _results(res: ResourcesDep, keys: list[Any], wait: bool) -> list[dict[str, Any]]:
    """With ?wait, poll (bounded) until the consumer applied every scan of a known asset."""
    deadline = asyncio.get_running_loop().time() + (WAIT_LIMIT_S if wait else 0)
    while True:
        async with res.engine.connect() as conn:
            rows = await scan_results(conn, keys)
        pending = [r for r in rows if r["asset_id"] and not r["applied"]]
        if not pending or asyncio.get_running_loop().time() >= deadline:
            return rows
        await asyncio.sleep(0.05)
