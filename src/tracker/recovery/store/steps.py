"""The steps of a case between intake and close: checks, grade, erasure certificate, repair
orders, decision. Each locks the case row, asks `tracker.recovery.rules`, writes its rows and
the case's new stage, and leaves an event in the asset's history (last, under EVENTS_LOCK).
Refusals are `RecoveryRefused` naming what is missing; nothing is written then, once the
caller's transaction rolls back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.recovery import rules
from tracker.recovery.model import (
    CaseFacts,
    CheckResult,
    ErasureCertificate,
    Grade,
    RepairOutcome,
)
from tracker.recovery.paths import Decision, details_of, value_recovered
from tracker.recovery.store.cases import LockedCase, load_case
from tracker.recovery.store.history import (
    StepEvent,
    record_steps,
    step_observation_id,
    to_json,
)


class UnknownRepair(LookupError):
    pass


# The case's stage, and its grade and decision columns cleared when the rules cleared them.
_SYNC = text("""
UPDATE recovery_cases SET stage = :stage, updated_at = now(),
    grade = CASE WHEN CAST(:graded AS boolean) THEN grade END,
    graded_at = CASE WHEN CAST(:graded AS boolean) THEN graded_at END,
    graded_by = CASE WHEN CAST(:graded AS boolean) THEN graded_by END,
    path = CASE WHEN CAST(:decided AS boolean) THEN path END,
    path_details = CASE WHEN CAST(:decided AS boolean) THEN path_details ELSE '{}'::jsonb END,
    value_recovered = CASE WHEN CAST(:decided AS boolean) THEN value_recovered END,
    decided_at = CASE WHEN CAST(:decided AS boolean) THEN decided_at END,
    decided_by = CASE WHEN CAST(:decided AS boolean) THEN decided_by END,
    repair_cost = (SELECT COALESCE(sum(cost), 0) FROM repair_orders WHERE case_id = :id)
WHERE id = :id""")


async def _finish(
    conn: AsyncConnection,
    case: LockedCase,
    after: CaseFacts,
    step: str,
    by: str,
    now: datetime,
    facts: dict[str, Any],
) -> None:
    """Write the case's new stage, then the step's event (last in the transaction)."""
    stage = rules.stage_of(after)
    await conn.execute(
        _SYNC,
        {
            "id": after.case_id,
            "stage": stage.value,
            "graded": after.grade is not None,
            "decided": after.path is not None,
        },
    )
    event = StepEvent(
        kind=step,
        asset_id=after.asset_id,
        case_id=after.case_id,
        by=by,
        occurred_at=now,
        observation_id=step_observation_id(after.case_id, step),
        site_id=case.site_id,
        facts={**facts, "stage": stage.value},
    )
    await record_steps(conn, [event])


_INSERT_CHECKS = text("""
INSERT INTO recovery_checks (case_id, "check", passed, notes, checked_by, checked_at)
SELECT CAST(:case AS text), x.kind, x.passed, x.notes, CAST(:by AS text),
    CAST(:at AS timestamptz)
FROM unnest(CAST(:checks AS text[]), CAST(:passed AS boolean[]), CAST(:notes AS text[]))
    AS x(kind, passed, notes)""")


async def record_checks(
    conn: AsyncConnection, case_id: str, results: Sequence[CheckResult], by: str, now: datetime
) -> None:
    case = await load_case(conn, case_id, lock=True)
    after = rules.record_checks(case.facts, {r.check: r.passed for r in results})
    await conn.execute(
        _INSERT_CHECKS,
        {
            "case": case_id,
            "checks": [r.check.value for r in results],
            "passed": [r.passed for r in results],
            "notes": [r.notes for r in results],
            "by": by,
            "at": now,
        },
    )
    checks = [{"check": r.check.value, "passed": r.passed, "notes": r.notes} for r in results]
    regraded = case.facts.grade is not None
    await _finish(
        conn, case, after, "recovery_checked", by, now, {"checks": checks, "regrade": regraded}
    )


async def grade_case(
    conn: AsyncConnection, case_id: str, grade: Grade, by: str, now: datetime
) -> None:
    case = await load_case(conn, case_id, lock=True)
    after = rules.grade(case.facts, grade)
    await conn.execute(
        text(
            "UPDATE recovery_cases SET grade = :grade, graded_at = :at, graded_by = :by "
            "WHERE id = :id"
        ),
        {"grade": grade.value, "at": now, "by": by, "id": case_id},
    )
    previous = case.facts.grade.value if case.facts.grade else None
    await _finish(
        conn,
        case,
        after,
        "recovery_graded",
        by,
        now,
        {"grade": grade.value, "previous_grade": previous},
    )


_INSERT_CERTIFICATE = text("""
INSERT INTO erasure_certificates (id, case_id, asset_id, method, tool, operator, performed_at,
    certificate_sha256)
VALUES (:id, :case, :asset, :method, :tool, :operator, :performed_at, :sha256)
ON CONFLICT (id) DO NOTHING RETURNING id""")


async def record_certificate(
    conn: AsyncConnection, case_id: str, certificate: ErasureCertificate, now: datetime
) -> bool:
    """False: this very certificate is already on file for the case (a retry; nothing new).
    The same certificate id with other contents, or on another case, is refused."""
    case = await load_case(conn, case_id, lock=True)
    after = rules.certify(case.facts)
    fields = {
        "id": certificate.id,
        "case": case_id,
        "asset": case.facts.asset_id,
        "method": certificate.method.value,
        "tool": certificate.tool,
        "operator": certificate.operator,
        "performed_at": certificate.performed_at,
        "sha256": certificate.certificate_sha256,
    }
    if await conn.scalar(_INSERT_CERTIFICATE, fields) is None:
        stored = (
            await conn.execute(
                text(
                    "SELECT case_id, method, certificate_sha256 FROM erasure_certificates "
                    "WHERE id = :id"
                ),
                fields,
            )
        ).one()
        if tuple(stored) == (case_id, fields["method"], fields["sha256"]):
            return False
        raise rules.RecoveryRefused(
            f"erasure certificate {certificate.id} is already on file (case {stored[0]}) "
            "with other contents"
        )
    facts = {
        "certificate_id": certificate.id,
        "method": certificate.method.value,
        "tool": certificate.tool,
        "operator": certificate.operator,
        "performed_at": certificate.performed_at.isoformat(),
        "certificate_sha256": certificate.certificate_sha256,
    }
    await _finish(conn, case, after, "asset_sanitised", certificate.operator, now, facts)
    return True


_OPEN_REPAIR = text("""
INSERT INTO repair_orders (case_id, description, cost, opened_at, opened_by)
VALUES (:case, :description, :cost, :at, :by) RETURNING id""")


async def open_repair_order(
    conn: AsyncConnection,
    case_id: str,
    description: str,
    cost: Decimal,
    by: str,
    now: datetime,
) -> int:
    case = await load_case(conn, case_id, lock=True)
    rules.open_repair(case.facts, 0)  # refused before anything is written
    params = {"case": case_id, "description": description, "cost": cost, "at": now, "by": by}
    repair_id = int((await conn.execute(_OPEN_REPAIR, params)).scalar_one())
    after = rules.open_repair(case.facts, repair_id)
    facts = {"repair_id": repair_id, "description": description, "cost": cost}
    await _finish(conn, case, after, "repair_ordered", by, now, facts)
    return repair_id


_CLOSE_REPAIR = text("""
UPDATE repair_orders SET closed_at = :at, closed_by = :by, outcome = :outcome,
    cost = COALESCE(CAST(:cost AS numeric), cost)
WHERE id = :repair AND case_id = :case RETURNING cost""")


async def close_repair_order(
    conn: AsyncConnection,
    case_id: str,
    repair_id: int,
    outcome: RepairOutcome,
    by: str,
    now: datetime,
    cost: Decimal | None = None,
) -> None:
    """`cost`: the final cost, when it differs from the estimate the order was opened with."""
    case = await load_case(conn, case_id, lock=True)
    known = await conn.scalar(
        text("SELECT 1 FROM repair_orders WHERE id = :repair AND case_id = :case"),
        {"repair": repair_id, "case": case_id},
    )
    if known is None:
        raise UnknownRepair(repair_id)
    after = rules.close_repair(case.facts, repair_id)
    params = {"at": now, "by": by, "outcome": outcome.value, "cost": cost, "repair": repair_id}
    final_cost = (await conn.execute(_CLOSE_REPAIR, {**params, "case": case_id})).scalar_one()
    facts = {"repair_id": repair_id, "outcome": outcome.value, "cost": final_cost}
    await _finish(conn, case, after, "repair_closed", by, now, facts)


_DECIDE = text("""
UPDATE recovery_cases SET path = :path, path_details = CAST(:details AS jsonb),
    value_recovered = :value, decided_at = :at, decided_by = :by WHERE id = :id""")


async def decide_path(
    conn: AsyncConnection, case_id: str, decision: Decision, by: str, now: datetime
) -> None:
    case = await load_case(conn, case_id, lock=True)
    after = rules.decide(case.facts, decision.path)
    details = details_of(decision)
    value = value_recovered(decision, case.asset_value)
    await conn.execute(
        _DECIDE,
        {
            "id": case_id,
            "path": decision.path.value,
            "details": to_json(details),
            "value": value,
            "at": now,
            "by": by,
        },
    )
    facts = {"path": decision.path.value, "details": details, "value_recovered": value}
    await _finish(conn, case, after, "recovery_decided", by, now, facts)
