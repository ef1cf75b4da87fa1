"""Opening cases by rule, a step of `tagtrail sweep`: returns (`turnaround_recorded` events —
an inbound pass at one of our doors, a handheld check-in) read after a persisted cursor, of
asset types whose rule opens a case on return, that no case has been opened for since.

Not in the consumer: a return is applied on the hot path; opening its case can wait a sweep.
The cursor is an `asset_events` id, safe to follow because ids become visible in commit order
(every writer holds EVENTS_LOCK from its events insert to its commit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain.model import require_aware
from tracker.recovery.model import OpenedHow, ReturnCategory
from tracker.recovery.store.history import Transition
from tracker.recovery.store.intake import CaseRequest, enter_recovery, new_case_id, write_cases
from tracker.store import load_states

INTAKE_CURSOR = "recovery_intake"
RULE_OPENER = "tagtrail-sweep"  # opened_by of the cases the rule opens
BATCH = 500


@dataclass(frozen=True, slots=True)
class IntakeOutcome:
    returns_read: int
    cases_opened: int


# A cursor row deleted by hand restarts at the newest event: history opens no cases.
_ENSURE_CURSOR = text("""
INSERT INTO event_cursors (name, last_event_id)
SELECT :name, COALESCE(max(id), 0) FROM asset_events ON CONFLICT (name) DO NOTHING""")
# One sweeper reads at a time; the others skip the step rather than wait.
_CLAIM_CURSOR = text(
    "SELECT last_event_id FROM event_cursors WHERE name = :name FOR UPDATE SKIP LOCKED"
)
_MOVE_CURSOR = text(
    "UPDATE event_cursors SET last_event_id = :id, updated_at = now() WHERE name = :name"
)
_ANY_RULE = text("SELECT EXISTS (SELECT 1 FROM asset_types WHERE recovery_open_on_return)")
# The newest id and the returns after the cursor in one snapshot: the cursor may then move
# to that id, past events that are not returns, without skipping a return committed later.
_RETURNS_AFTER = text("""
WITH top AS (SELECT COALESCE(max(id), 0) AS id FROM asset_events)
SELECT top.id AS top, r.id, r.asset_id, r.occurred_at, r.custodian_id, r.dispatch_id
FROM top LEFT JOIN LATERAL (
    SELECT e.id, e.asset_id, e.occurred_at, e.payload ->> 'custodian_id' AS custodian_id,
        e.payload ->> 'dispatch_id' AS dispatch_id
    FROM asset_events e
    WHERE e.id > :after AND e.id <= top.id AND e.kind = 'turnaround_recorded'
        -- a line closed because the asset left again was never seen coming back
        AND COALESCE(CAST(e.payload ->> 'return_seen' AS boolean), true)
    ORDER BY e.id LIMIT :batch
) r ON true
ORDER BY r.id""")
_RULE_TYPES = text("""
SELECT a.id, t.recovery_return_category FROM assets a JOIN asset_types t ON t.id = a.type_id
WHERE a.id = ANY(:ids) AND t.recovery_open_on_return ORDER BY a.id""")
_CASES_OF = text("""
SELECT asset_id, bool_or(closed_at IS NULL), max(opened_at) FROM recovery_cases
WHERE asset_id = ANY(:ids) GROUP BY asset_id""")


async def open_cases_on_return(
    conn: AsyncConnection, now: datetime, *, batch: int = BATCH
) -> IntakeOutcome:
    """`conn` must not be inside a transaction: each batch commits on its own."""
    require_aware("now", now)
    read = opened = 0
    while True:
        async with conn.begin():
            done = await _open_batch(conn, now, batch)
        if done is None:  # another sweeper is at it
            break
        read, opened = read + done[0], opened + done[1]
        if done[0] < batch:
            break
    return IntakeOutcome(read, opened)


async def _open_batch(conn: AsyncConnection, now: datetime, batch: int) -> tuple[int, int] | None:
    name = {"name": INTAKE_CURSOR}
    await conn.execute(_ENSURE_CURSOR, name)
    after = await conn.scalar(_CLAIM_CURSOR, name)
    if after is None:
        return None
    if not await conn.scalar(_ANY_RULE):
        top = await conn.scalar(text("SELECT COALESCE(max(id), 0) FROM asset_events"))
        await conn.execute(_MOVE_CURSOR, {**name, "id": max(int(top or 0), after)})
        return 0, 0
    rows = (await conn.execute(_RETURNS_AFTER, {"after": after, "batch": batch})).all()
    returns = [row for row in rows if row.id is not None]
    # A full batch may have more behind it: continue after its last; else read up to top.
    cursor = returns[-1].id if len(returns) == batch else max(int(rows[0].top), after)
    await conn.execute(_MOVE_CURSOR, {**name, "id": cursor})
    return len(returns), await _open_for(conn, returns, now)


async def _open_for(conn: AsyncConnection, returns: Sequence[Row[Any]], now: datetime) -> int:
    latest = {row.asset_id: row for row in returns}  # in id order: the last return wins
    if not latest:
        return 0
    rows = await conn.execute(_RULE_TYPES, {"ids": list(latest)})
    categories: dict[str, str] = {str(asset_id): str(category) for asset_id, category in rows}
    if not categories:
        return 0
    ids = sorted(categories)
    states = await load_states(conn, ids)  # locked: no opening by hand can interleave
    cases = {row[0]: (row[1], row[2]) for row in await conn.execute(_CASES_OF, {"ids": ids})}
    opening: list[tuple[CaseRequest, str, Transition]] = []
    for asset_id in ids:
        came_back = latest[asset_id]
        open_now, last_opened = cases.get(asset_id, (False, None))
        if open_now or (last_opened is not None and last_opened >= came_back.occurred_at):
            continue  # a case is open, or one was opened for this return already
        case_id = new_case_id()
        transition = enter_recovery(states[asset_id], case_id, now)
        if transition is None:
            continue  # gone again, missing, retired: not at the bench any more
        request = CaseRequest(
            asset_id=asset_id,
            return_category=ReturnCategory(categories[asset_id]),
            by=RULE_OPENER,
            how=OpenedHow.rule,
            reason=f"returned from {came_back.custodian_id}" if came_back.custodian_id else None,
            custodian_id=came_back.custodian_id,
            dispatch_id=came_back.dispatch_id,
        )
        opening.append((request, case_id, transition))
    if opening:
        await write_cases(conn, opening)
    return len(opening)
