"""Recovery at the bench: the steps of a case — checks, grade, erasure certificate, repair
orders, decision, close. Each answers with the case after it; a step the rules refuse is a
409 naming what is missing (api.recovery has the cases themselves)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from api.auth import RecoveryWriter
from api.ops import ResourcesDep
from api.recovery import WRITE, IdempotencyKey, case_detail, on_case, once, visible_case
from api.recovery_schemas import (
    CaseClose,
    CaseDetail,
    CertificateIn,
    ChecksRecord,
    DecisionIn,
    GradeIn,
    RepairClose,
    RepairOpen,
    decision_of,
)
from api.registry import PathId, error_responses, invalid
from tracker.recovery import CheckResult, ErasureCertificate
from tracker.recovery.store import (
    close_case,
    close_repair_order,
    decide_path,
    grade_case,
    open_repair_order,
    record_certificate,
    record_checks,
)

router = APIRouter(prefix="/v1/recovery", tags=["recovery"])
BIGINT_MAX = 2**63 - 1
RepairId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
# A reader clock may run this far ahead; a certificate dated later is a mistake.
_CLOCK_SKEW = timedelta(minutes=5)


@router.post(
    "/cases/{case_id}/checks",
    summary="Record check results (functional, cosmetic, software lock, …)",
    status_code=201,
    response_model=CaseDetail,
    responses=error_responses(404, 409, 422, scope=WRITE),
)
async def post_checks(
    request: Request,
    res: ResourcesDep,
    key: RecoveryWriter,
    case_id: PathId,
    body: ChecksRecord,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """On a graded case, new results mean grading again: the grade and any decision are
    cleared."""

    async def work(conn: AsyncConnection) -> CaseDetail:
        await visible_case(conn, key, case_id)
        results = [CheckResult(check=c.check, passed=c.passed, notes=c.notes) for c in body.checks]
        await record_checks(conn, case_id, results, body.by, datetime.now(UTC))
        return await case_detail(conn, case_id)

    return await once(res, request, idempotency_key, work)


@router.post(
    "/cases/{case_id}/grade",
    summary="Grade the case",
    response_model=CaseDetail,
    responses=error_responses(404, 409, 422, scope=WRITE),
)
async def post_grade(
    res: ResourcesDep, key: RecoveryWriter, case_id: PathId, body: GradeIn
) -> CaseDetail:
    """409 until every check the asset type requires has a result, and for
    `ready_to_redeploy` while the latest functional check failed."""

    async def work(conn: AsyncConnection) -> CaseDetail:
        await grade_case(conn, case_id, body.grade, body.by, datetime.now(UTC))
        return await case_detail(conn, case_id)

    return await on_case(res, key, case_id, work)


def _certificate(body: CertificateIn, now: datetime) -> ErasureCertificate:
    if body.performed_at > now + _CLOCK_SKEW:
        raise invalid(("body", "performed_at"), "must not be in the future")
    digest = body.certificate_sha256
    if digest is None:
        try:
            content = base64.b64decode(body.certificate_base64 or "", validate=True)
        except binascii.Error:
            raise invalid(("body", "certificate_base64"), "not base64") from None
        digest = hashlib.sha256(content).hexdigest()
    try:
        return ErasureCertificate(
            id=body.id,
            method=body.method,
            tool=body.tool,
            operator=body.operator,
            performed_at=body.performed_at,
            certificate_sha256=digest.lower(),
        )
    except ValueError as exc:
        raise invalid(("body",), str(exc)) from None


@router.post(
    "/cases/{case_id}/certificates",
    summary="Record a data erasure certificate",
    status_code=201,
    response_model=CaseDetail,
    responses=error_responses(404, 409, 422, scope=WRITE),
)
async def post_certificate(
    res: ResourcesDep, key: RecoveryWriter, case_id: PathId, body: CertificateIn
) -> CaseDetail:
    """Give the SHA-256 of the certificate file, or the file itself (base64) to have it
    hashed; the file is not kept. Sending the same certificate again changes nothing; its id
    with other contents is a 409."""
    certificate = _certificate(body, datetime.now(UTC))

    async def work(conn: AsyncConnection) -> CaseDetail:
        await record_certificate(conn, case_id, certificate, datetime.now(UTC))
        return await case_detail(conn, case_id)

    return await on_case(res, key, case_id, work)


@router.post(
    "/cases/{case_id}/repairs",
    summary="Open a repair / refurbishment order",
    status_code=201,
    response_model=CaseDetail,
    responses=error_responses(404, 409, 422, scope=WRITE),
)
async def post_repair(
    request: Request,
    res: ResourcesDep,
    key: RecoveryWriter,
    case_id: PathId,
    body: RepairOpen,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Only on a case graded `repairable` (409 otherwise). Closing its last open order
    sends the case back to grading."""

    async def work(conn: AsyncConnection) -> CaseDetail:
        await visible_case(conn, key, case_id)
        now = datetime.now(UTC)
        await open_repair_order(conn, case_id, body.description, body.cost, body.by, now)
        return await case_detail(conn, case_id)

    return await once(res, request, idempotency_key, work)


@router.post(
    "/cases/{case_id}/repairs/{repair_id}/close",
    summary="Close a repair order with its outcome (and final cost)",
    response_model=CaseDetail,
    responses=error_responses(404, 409, 422, scope=WRITE),
)
async def post_repair_close(
    res: ResourcesDep, key: RecoveryWriter, case_id: PathId, repair_id: RepairId, body: RepairClose
) -> CaseDetail:
    async def work(conn: AsyncConnection) -> CaseDetail:
        now = datetime.now(UTC)
        await close_repair_order(conn, case_id, repair_id, body.outcome, body.by, now, body.cost)
        return await case_detail(conn, case_id)

    return await on_case(res, key, case_id, work)


@router.post(
    "/cases/{case_id}/decision",
    summary="Decide the path: redeploy, resale, parts or recycling",
    response_model=CaseDetail,
    responses=error_responses(404, 409, 422, scope=WRITE),
)
async def post_decision(
    res: ResourcesDep, key: RecoveryWriter, case_id: PathId, body: DecisionIn
) -> CaseDetail:
    """The grade limits the paths (disposal: recycling only). A data-bearing asset without
    an erasure certificate cannot be redeployed or resold: 409 `erasure certificate
    required`. Decided again until the case is closed."""
    try:
        decision = decision_of(body)
    except ValueError as exc:  # a blank channel, vendor or part name
        raise invalid(("body",), str(exc)) from None

    async def work(conn: AsyncConnection) -> CaseDetail:
        await decide_path(conn, case_id, decision, body.by, datetime.now(UTC))
        return await case_detail(conn, case_id)

    return await on_case(res, key, case_id, work)


@router.post(
    "/cases/{case_id}/close",
    summary="Close the case: carry the decided path out",
    response_model=CaseDetail,
    responses=error_responses(404, 409, 422, scope=WRITE),
)
async def post_close(
    res: ResourcesDep, key: RecoveryWriter, case_id: PathId, body: CaseClose
) -> CaseDetail:
    """Redeploy puts the asset back `in_service` at home custody; resale, parts and
    recycling retire it. Both through the tracker's lifecycle, in the asset's history."""

    async def work(conn: AsyncConnection) -> CaseDetail:
        await close_case(conn, case_id, body.by, datetime.now(UTC))
        return await case_detail(conn, case_id)

    return await on_case(res, key, case_id, work)
