"""Opening recovery cases: by hand, or by rule when an asset of a type that asks for it comes
back (a sweep step, `open_cases_on_return`). Either way the asset goes `in_recovery` through
the tracker domain and the case records the asset's usage history as at intake."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain import AssetState, AssetStatus, RecoveryOpened
from tracker.domain.model import require_aware
from tracker.recovery.model import OpenedHow, ReturnCategory, Stage
from tracker.recovery.rules import RecoveryRefused
from tracker.recovery.store.history import (
    StepEvent,
    Transition,
    decide_on,
    record_steps,
    save_transitions,
    to_json,
)
from tracker.recovery.usage import Trip, Usage, summarise_usage
from tracker.store import load_states


class UnknownAsset(LookupError):
    pass


def new_case_id() -> str:
    return f"rc_{secrets.token_hex(6)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRequest:
    asset_id: str
    return_category: ReturnCategory
    by: str
    how: OpenedHow = OpenedHow.manual
    reason: str | None = None
    condition_notes: str | None = None
    # Who had it and the dispatch it came back on; by hand: its last return's, if any.
    custodian_id: str | None = None
    dispatch_id: str | None = None


_OPEN_CASE_OF = text("SELECT id FROM recovery_cases WHERE asset_id = :asset AND closed_at IS NULL")


async def open_case(conn: AsyncConnection, request: CaseRequest, now: datetime) -> str:
    """Open a case; returns its id. UnknownAsset, or RecoveryRefused saying why not: another
    open case, or an asset not in service at one of our sites (check it in first)."""
    require_aware("now", now)
    asset_id = request.asset_id
    known = await conn.scalar(text("SELECT 1 FROM assets WHERE id = :id"), {"id": asset_id})
    if known is None:
        raise UnknownAsset(asset_id)
    state = (await load_states(conn, [asset_id]))[asset_id]  # locked until commit
    already = await conn.scalar(_OPEN_CASE_OF, {"asset": asset_id})
    if already is not None:
        raise RecoveryRefused(f"asset {asset_id} already has open recovery case {already}")
    case_id = new_case_id()
    transition = enter_recovery(state, case_id, now)
    if transition is None:
        raise RecoveryRefused(
            f"asset {asset_id} is {state.status}: only an asset in service at one of our "
            "sites can enter recovery (check it in first)"
        )
    await write_cases(conn, [(request, case_id, transition)])
    return case_id


def enter_recovery(state: AssetState, case_id: str, now: datetime) -> Transition | None:
    """None when the lifecycle does not let the asset enter recovery from where it is."""
    if state.status is AssetStatus.in_recovery:
        return None
    observation = partial(
        RecoveryOpened, observation_id=f"recovery:{case_id}:opened", recovery_id=case_id
    )
    transition = decide_on(state, lambda at: observation(seen_at=at), now)
    return transition if transition.after.status is AssetStatus.in_recovery else None


_INSERT_CASE = text("""
INSERT INTO recovery_cases (id, asset_id, stage, return_category, reason, condition_notes,
    opened_how, opened_by, opened_at, custodian_id, dispatch_id, usage)
VALUES (:id, :asset, :stage, :category, :reason, :notes, :how, :by, :at, :custodian,
    :dispatch, CAST(:usage AS jsonb))
ON CONFLICT (asset_id) WHERE closed_at IS NULL DO NOTHING RETURNING id
""")


async def write_cases(
    conn: AsyncConnection, opening: Sequence[tuple[CaseRequest, str, Transition]]
) -> None:
    """The cases, then the status changes and the steps in history (events last). The
    callers hold the assets' state rows, so no other opening of these assets can interleave."""
    usages, last_returns = await usage_at_intake(conn, [r.asset_id for r, _, _ in opening])
    steps = []
    for request, case_id, transition in opening:
        came_back = last_returns.get(request.asset_id, LastReturn(None, None))
        usage = usages[request.asset_id]
        steps.append(await _insert_case(conn, request, case_id, transition, usage, came_back))
    who = {r.asset_id: {"case_id": case_id, "by": r.by} for r, case_id, _ in opening}
    await save_transitions(conn, [transition for _, _, transition in opening], who)
    await record_steps(conn, steps)


async def _insert_case(
    conn: AsyncConnection,
    request: CaseRequest,
    case_id: str,
    transition: Transition,
    usage: Usage,
    came_back: LastReturn,
) -> StepEvent:
    """The case row; returns its `recovery_opened` event, for the caller to write last."""
    facts = {
        "return_category": request.return_category.value,
        "opened_how": request.how.value,
        "reason": request.reason,
        "custodian_id": request.custodian_id or came_back.custodian_id,
        "dispatch_id": request.dispatch_id or came_back.dispatch_id,
        "usage": usage.as_json(),
    }
    created = await conn.scalar(
        _INSERT_CASE,
        {
            "id": case_id,
            "asset": request.asset_id,
            "stage": Stage.intake.value,
            "category": facts["return_category"],
            "reason": request.reason,
            "notes": request.condition_notes,
            "how": facts["opened_how"],
            "by": request.by,
            "at": transition.at,
            "custodian": facts["custodian_id"],
            "dispatch": facts["dispatch_id"],
            "usage": to_json(facts["usage"]),
        },
    )
    if created is None:
        raise RecoveryRefused(f"asset {request.asset_id} already has an open recovery case")
    return StepEvent(
        kind="recovery_opened",
        asset_id=request.asset_id,
        case_id=case_id,
        by=request.by,
        occurred_at=transition.at,
        observation_id=transition.observation_id,
        site_id=transition.before.site_id,
        facts=facts,
    )


@dataclass(frozen=True, slots=True)
class LastReturn:
    custodian_id: str | None
    dispatch_id: str | None


_RETURNS = text("""
SELECT asset_id, payload ->> 'custodian_id', payload ->> 'dispatch_id',
    CAST(payload ->> 'duration' AS double precision)
FROM asset_events WHERE asset_id = ANY(:ids) AND kind = 'turnaround_recorded'
ORDER BY asset_id, occurred_at, id""")
_SERVICE = text("""
SELECT asset_id, max(performed_at) FILTER (WHERE kind = 'service'),
    max(performed_at) FILTER (WHERE kind = 'calibration')
FROM service_records WHERE asset_id = ANY(:ids) GROUP BY asset_id""")
_TRIPS = text("SELECT asset_id, trips FROM asset_state WHERE asset_id = ANY(:ids)")


async def usage_at_intake(
    conn: AsyncConnection, asset_ids: list[str]
) -> tuple[dict[str, Usage], dict[str, LastReturn]]:
    """Each asset's usage history, and the custodian and dispatch of its last return."""
    params = {"ids": asset_ids}
    trips: dict[str, list[Trip]] = {asset_id: [] for asset_id in asset_ids}
    last: dict[str, LastReturn] = {}
    for asset_id, custodian, dispatch, duration in await conn.execute(_RETURNS, params):
        if custodian:
            trips[asset_id].append(Trip(custodian, duration))
        last[asset_id] = LastReturn(custodian, dispatch)
    serviced = {row[0]: (row[1], row[2]) for row in await conn.execute(_SERVICE, params)}
    counted = {row[0]: int(row[1]) for row in await conn.execute(_TRIPS, params)}
    usages = {
        asset_id: summarise_usage(
            trips_counted=counted.get(asset_id, 0),
            returns=trips[asset_id],
            last_service_at=serviced.get(asset_id, (None, None))[0],
            last_calibration_at=serviced.get(asset_id, (None, None))[1],
        )
        for asset_id in asset_ids
    }
    return usages, last
