"""POST /v1/epcis/capture and GET /v1/epcis/capture/{id}: partners' EPCIS 2.0 events in, and
another tagtrail's export.

The POST does the whole job before it answers: size, the official JSON schema, each event's
own checks, the capture log (eventID unique) and the reads published to Kafka, so the job it
points to (202 + Location) already says success or errors. Events are applied in one
database transaction around the publish: with `rollback` nothing is applied when one event
is bad, and a Kafka failure leaves nothing logged (the job says so).

A key that may also write assets (`assets:write`) is trusted with tagtrail's own facts: the
events of another tagtrail (`tagtrail:kind`) register the assets they name and are replayed
as the facts they record (tracker.epcis.capture_replay), published as reported-fact records
the consumer applies through the tracker's rules, in order with the asset's reads. A partner's
claim that assets of ours were stolen, destroyed or disposed of travels the same way
(tracker.epcis.capture_claims).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from api.auth import EpcisCapturer, Principal
from api.ops import ResourcesDep
from api.problems import problem
from api.responses import OrjsonResponse
from ingest.publisher import Message, PublishUnavailable, kafka_key
from ingest.reported import REPORTED_HEADER, REPORTED_VERSION, encode_reported, reported_record
from ingest.tagread import TagRead, encode_tagread
from tracker.epcis.capture import (
    CaptureError,
    PlannedEvent,
    document_namespaces,
    plan_events,
)
from tracker.epcis.capture_claims import claimed_tags, plan_claims
from tracker.epcis.capture_reads import CapturedRead
from tracker.epcis.capture_replay import replay, tagtrail_prefixes
from tracker.epcis.capture_schema import SchemaMissing, schema_violations
from tracker.epcis.capture_store import (
    CaptureJob,
    find_job,
    finish_job,
    load_capture_points,
    load_parties,
    load_replay_context,
    log_events,
    register_assets,
    start_job,
)
from tracker.store import resolve_tags

# Events per capture (EPCIS 2.0 REST binding: GS1-EPCIS-Capture-Limit); the byte limit is the
# resources' `epcis_capture_limit_bytes` (GS1-EPCIS-Capture-File-Size-Limit).
MAX_EVENTS = 10_000

router = APIRouter(prefix="/v1/epcis/capture", tags=["epcis"])

Behaviour = Literal["rollback", "proceed"]


class CaptureJobPublic(BaseModel):
    captureID: str
    status: Literal["running", "success", "errors"]
    running: bool
    success: bool
    captureErrorBehaviour: Behaviour
    createdAt: datetime
    finishedAt: datetime | None
    eventCount: int
    applied: int = Field(
        description="events logged (and published, or registering an asset, when they drive one)"
    )
    duplicates: int = Field(description="events whose eventID was captured before")
    errors: list[dict[str, Any]] = Field(description="[{eventIndex, eventID, reason}]")


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/ld+json": {"schema": {"type": "object"}},
        },
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "not an EPCISDocument the official schema accepts; `field` is the path"},
    401: {"description": "no valid API key"},
    403: {"description": "the key lacks the epcis:capture scope"},
    413: {"description": "over GS1-EPCIS-Capture-File-Size-Limit bytes or Capture-Limit events"},
    503: {"description": "Kafka did not acknowledge, or the schema is not installed"},
}


@router.post(
    "",
    status_code=202,
    response_model=CaptureJobPublic,
    responses=_ERRORS,
    openapi_extra=_BODY,
    summary="Capture an EPCISDocument (EPCIS 2.0 REST binding)",
)
async def capture(
    request: Request,
    res: ResourcesDep,
    key: EpcisCapturer,
    behaviour: Annotated[
        str, Header(alias="GS1-Capture-Error-Behaviour", max_length=20)
    ] = "rollback",
) -> Any:
    limit = res.epcis_capture_limit_bytes
    outcome = await _capture(request, res, key, behaviour, limit)
    for name, value in _limit_headers(limit).items():
        outcome.headers[name] = value
    return outcome


async def _capture(
    request: Request, res: ResourcesDep, key: Principal, behaviour: str, limit: int
) -> OrjsonResponse:
    if behaviour not in ("rollback", "proceed"):
        return problem(
            400, "Invalid GS1-Capture-Error-Behaviour", "rollback or proceed", field="header"
        )
    document = await _document(request, limit)
    if isinstance(document, OrjsonResponse):
        return document
    checked = _schema_problem(document, res.epcis_schema_dir)
    if checked is not None:
        return checked
    events = _event_list(document)
    if isinstance(events, OrjsonResponse):
        return events
    if len(events) > MAX_EVENTS:
        return problem(413, "Too many events", f"{len(events)} events; at most {MAX_EVENTS}")
    planned, errors = await _plan(res, key, document, events)
    job_id = secrets.token_hex(8)
    async with res.engine.begin() as conn:
        await start_job(conn, job_id, key.key_id, behaviour, len(events))
    try:
        await _apply(res, job_id, planned, errors, behaviour)
    except PublishUnavailable as exc:
        async with res.engine.begin() as conn:
            await finish_job(
                conn,
                job_id,
                applied=0,
                duplicates=0,
                errors=[*errors, CaptureError(None, None, f"nothing applied: {exc}")],
            )
        response = problem(503, "Kafka unavailable", str(exc), captureID=job_id)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    async with res.reads.connect() as conn:
        job = await find_job(conn, job_id)
    assert job is not None
    response = OrjsonResponse(_public(job).model_dump(mode="json"), status_code=202)
    response.headers["Location"] = f"/v1/epcis/capture/{job_id}"
    return response


async def _plan(
    res: ResourcesDep, key: Principal, document: dict[str, Any], events: list[dict[str, Any]]
) -> tuple[list[PlannedEvent], list[CaptureError]]:
    """Each event checked and planned; another tagtrail's, for a key trusted with them (it may
    write assets), replayed as the registrations and facts they record."""
    async with res.reads.connect() as conn:
        points = await load_capture_points(conn)
        parties = await load_parties(conn)
    sees = None if key.sites is None else key.sees_site
    namespace_map = document_namespaces(document)
    planned, errors = plan_events(events, namespace_map, points, datetime.now(UTC), sees, parties)
    replayed: frozenset[str] = frozenset()
    if key.may("assets:write"):
        replayed = tagtrail_prefixes(namespace_map)
        async with res.reads.connect() as conn:
            context = await load_replay_context(conn, planned, sees)
        planned, refused = replay(planned, replayed, context)
        errors = sorted([*errors, *refused], key=lambda error: error.index or 0)
    tags = claimed_tags(planned)
    if tags:
        async with res.reads.connect() as conn:
            owned = await resolve_tags(conn, sorted(tags))
        planned = plan_claims(planned, owned, f"{key.name} (key {key.key_id})", replayed)
    return planned, errors


async def _apply(
    res: ResourcesDep,
    job_id: str,
    planned: list[PlannedEvent],
    errors: list[CaptureError],
    behaviour: str,
) -> None:
    """Log the new events and publish their reads in one transaction: a failed publish rolls
    the log back, so a retry applies them."""
    if errors and behaviour == "rollback":
        planned = []
    unique = list({event.event_id: event for event in reversed(planned)}.values())[::-1]
    registrations = [e.registration for e in unique if e.registration is not None]
    if registrations:
        # Committed before anything is published, so the consumer finds the assets the facts
        # are about; idempotent, so a retry after a Kafka failure registers nothing twice.
        async with res.engine.begin() as conn:
            await register_assets(conn, registrations)
    async with res.engine.begin() as conn:
        new_ids = await log_events(conn, job_id, unique)
        # In document order: the reads and facts of one asset keep their order on its partition.
        messages = [m for e in unique if e.event_id in new_ids for m in _messages(e)]
        if messages:
            await res.publisher.ensure_started()
            await res.publisher.publish_messages(messages)
        await finish_job(
            conn,
            job_id,
            applied=len(new_ids),
            duplicates=len(planned) - len(new_ids),
            errors=errors,
        )


def _messages(event: PlannedEvent) -> list[Message]:
    messages = [Message(kafka_key(r), encode_tagread(r)) for r in map(_tagread, event.reads)]
    replayed = [event.replayed] if event.replayed is not None else []
    for fact, tag, kind in ((r.fact, r.tag, r.tag_kind) for r in [*replayed, *event.claims]):
        record = encode_reported(reported_record(fact, tag, kind))
        messages.append(Message(tag.encode(), record, ((REPORTED_HEADER, REPORTED_VERSION),)))
    return messages


def _tagread(read: CapturedRead) -> TagRead:
    return TagRead(
        v=1,
        read_id=read.read_id,
        reader_id=read.reader_id,
        antenna=read.antenna,
        tag=read.tag,
        tag_kind=read.tag_kind,
        seen_at=read.seen_at,
        source=read.source,
        rssi=read.rssi,
        operator="epcis-capture" if read.source == "handheld" else None,
        action="scan" if read.source == "handheld" else None,
        custodian=read.custodian,
    )


@router.get(
    "/{capture_id}",
    response_model=CaptureJobPublic,
    responses={404: {"description": "no such capture job (for this key)"}},
    summary="A capture job: running, success, or errors per event index",
)
async def capture_job(
    res: ResourcesDep,
    key: EpcisCapturer,
    capture_id: Annotated[str, PathParam(max_length=64)],
) -> Any:
    async with res.reads.connect() as conn:
        job = await find_job(conn, capture_id)
    if job is None or not ("admin" in key.scopes or job.key_id == key.key_id):
        return problem(404, "No such capture job", capture_id)
    return _public(job)


def _public(job: CaptureJob) -> CaptureJobPublic:
    return CaptureJobPublic(
        captureID=job.id,
        status=job.status,  # a CHECK constraint keeps it one of them
        running=job.status == "running",
        success=job.status == "success",
        captureErrorBehaviour=job.error_behaviour,
        createdAt=job.created_at,
        finishedAt=job.finished_at,
        eventCount=job.event_count,
        applied=job.applied,
        duplicates=job.duplicates,
        errors=job.errors,
    )


def _limit_headers(limit: int) -> dict[str, str]:
    return {
        "GS1-EPCIS-Capture-Limit": str(MAX_EVENTS),
        "GS1-EPCIS-Capture-File-Size-Limit": str(limit),
        "GS1-EPCIS-Version": "2.0",
        "GS1-CBV-Version": "2.0",
    }


async def _document(request: Request, limit: int) -> dict[str, Any] | OrjsonResponse:
    declared = request.headers.get("content-length")
    too_large = problem(413, "Payload too large", f"an EPCISDocument of at most {limit} bytes")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return too_large
    try:
        document = orjson.loads(bytes(body))
    except orjson.JSONDecodeError as exc:
        return problem(400, "Invalid JSON", str(exc), field="$")
    if not isinstance(document, dict):
        return problem(400, "Invalid EPCISDocument", "the body must be a JSON object", field="$")
    return document


def _schema_problem(document: dict[str, Any], schema_dir: Path | None) -> OrjsonResponse | None:
    try:
        if schema_dir is None:
            raise SchemaMissing("no EPCIS schema directory configured")
        found = schema_violations(document, schema_dir)
    except SchemaMissing as exc:
        return problem(503, "EPCIS schema unavailable", str(exc))
    if not found:
        return None
    return problem(
        400,
        "Invalid EPCISDocument",
        found[0].message,
        field=found[0].path,
        errors=[{"field": v.path, "message": v.message} for v in found],
    )


def _event_list(document: dict[str, Any]) -> list[dict[str, Any]] | OrjsonResponse:
    """The schema also accepts a single event or a query document (it switches on `type`):
    capture takes an EPCISDocument only."""
    if document.get("type") != "EPCISDocument":
        return problem(400, "Invalid EPCISDocument", "type must be EPCISDocument", field="$.type")
    body = document.get("epcisBody")
    events = body.get("eventList") if isinstance(body, dict) else None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        detail = "epcisBody.eventList must be a list of events"
        return problem(400, "Invalid EPCISDocument", detail, field="$.epcisBody.eventList")
    return events
