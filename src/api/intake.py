"""POST /v1/reads (TagRead v1) and the vendor push formats. 202 only after Kafka acked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from api.auth import ReadsWriter
from api.ops import ResourcesDep
from api.problems import problem
from api.responses import OrjsonResponse
from ingest.publisher import PublishUnavailable, kafka_key
from ingest.tagread import TagRead, TagReadError, decode_tagread_batch
from readers.push import PushFormatError, impinj_reads, parse_json_lines, zebra_reads
from tracker.identity import IdentifierError

MAX_READS = 10_000
# Far more than 10,000 reads of any sane size: refuse bigger bodies before parsing them.
MAX_BODY_BYTES = 16 * 1024 * 1024

router = APIRouter(prefix="/v1/reads", tags=["intake"])


class ReadsAccepted(BaseModel):
    accepted: int
    skipped: int = 0


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API key"},
    403: {"description": "the key lacks the reads:write scope"},
    413: {"description": "more than 10,000 reads, or a body over 16 MiB"},
    422: {"description": "a read is invalid; problem+json names it (`$[3].seen_at`)"},
    503: {"description": "Kafka did not acknowledge; retry after Retry-After seconds"},
}
_TAGREADS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": MAX_READS,
                    "items": msgspec.json.schema(TagRead)["$defs"]["TagRead"],
                },
                "example": [
                    {
                        "v": 1,
                        "read_id": "dock-03:1:3314257BF40C0E4000000190:1764000000000000",
                        "reader_id": "dock-03",
                        "antenna": 1,
                        "tag": "3314257BF40C0E4000000190",
                        "tag_kind": "epc",
                        "seen_at": "2026-11-24T10:02:00.123456+00:00",
                        "rssi": -48.5,
                        "count": 3,
                        "source": "push",
                    }
                ],
            }
        },
    }
}
_VENDOR_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {}}, "application/x-ndjson": {"schema": {}}},
    }
}


@router.post(
    "",
    status_code=202,
    response_model=ReadsAccepted,
    responses=_ERRORS,
    openapi_extra=_TAGREADS_BODY,
    summary="Publish a JSON array of TagRead v1",
)
async def post_reads(request: Request, res: ResourcesDep, _key: ReadsWriter) -> Any:
    body = await _body(request)
    if isinstance(body, OrjsonResponse):
        return body
    try:
        reads = decode_tagread_batch(body)
    except TagReadError as exc:
        return problem(422, "Invalid read", str(exc), field=exc.path)
    return await publish(res, reads)


@router.post(
    "/impinj",
    status_code=202,
    response_model=ReadsAccepted,
    responses=_ERRORS,
    openapi_extra=_VENDOR_BODY,
    summary="Impinj IoT device interface tagInventory events (JSON array or NDJSON)",
)
async def post_impinj(
    request: Request,
    res: ResourcesDep,
    _key: ReadsWriter,
    reader_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    body = await _body(request)
    if isinstance(body, OrjsonResponse):
        return body
    try:
        reads, skipped = impinj_reads(parse_json_lines(body), reader_id)
    except PushFormatError as exc:
        return problem(422, "Invalid Impinj event", str(exc), field=exc.path)
    return await publish(res, reads, skipped)


@router.post(
    "/zebra",
    status_code=202,
    response_model=ReadsAccepted,
    responses=_ERRORS,
    openapi_extra=_VENDOR_BODY,
    summary="Zebra IoT Connector tag data events",
)
async def post_zebra(
    request: Request,
    res: ResourcesDep,
    _key: ReadsWriter,
    reader_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> Any:
    body = await _body(request)
    if isinstance(body, OrjsonResponse):
        return body
    try:
        reads = zebra_reads(parse_json_lines(body), reader_id)
    except PushFormatError as exc:
        return problem(422, "Invalid Zebra event", str(exc), field=exc.path)
    return await publish(res, reads)


async def _body(request: Request) -> bytes | OrjsonResponse:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return problem(413, "Payload too large", f"at most {MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return problem(413, "Payload too large", f"at most {MAX_BODY_BYTES} bytes")
    return body


async def publish(res: ResourcesDep, reads: Sequence[TagRead], skipped: int = 0) -> Any:
    """Publish, answering only once Kafka acknowledged every read (never accepted-and-lost)."""
    if len(reads) > MAX_READS:
        return problem(413, "Too many reads", f"{len(reads)} reads; at most {MAX_READS}")
    for index, read in enumerate(reads):
        try:
            kafka_key(read)
        except IdentifierError as exc:
            return problem(422, "Invalid tag", str(exc), field=f"$[{index}].tag")
    try:
        await res.publisher.ensure_started()
        await res.publisher.publish(reads)
    except PublishUnavailable as exc:
        response = problem(503, "Kafka unavailable", str(exc))
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    return ReadsAccepted(accepted=len(reads), skipped=skipped)
