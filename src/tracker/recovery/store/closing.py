"""Closing a case: the decided path carried out through the tracker domain — redeploy →
in_service, resale, parts and recycling → retired (with the asset's retired_at)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain import AssetState
from tracker.recovery import rules
from tracker.recovery.model import RecoveryPath
from tracker.recovery.paths import carry_out, status_after
from tracker.recovery.store.cases import case_asset, load_case
from tracker.recovery.store.history import (
    StepEvent,
    Transition,
    decide_on,
    record_steps,
    save_transitions,
    step_observation_id,
)
from tracker.store import load_states

_CLOSE = text("""
UPDATE recovery_cases SET stage = 'done', closed_at = :at, closed_by = :by, updated_at = now()
WHERE id = :id""")


async def close_case(conn: AsyncConnection, case_id: str, by: str, now: datetime) -> None:
    """Carry the decided path out. An asset already where the path takes it changes nothing:
    one sent to a refurbisher on a dispatch is back `in_service` once seen home again, one
    retired meanwhile through the assets API is `retired`."""
    asset_id = await case_asset(conn, case_id)
    # The state row before the case row: the order opening a case locks them in.
    state = (await load_states(conn, [asset_id]))[asset_id]
    case = await load_case(conn, case_id, lock=True)
    path = rules.close(case.facts)
    arrived = state.status is status_after(path)
    transition = None if arrived else _carry_out(state, path, case_id, now)
    at = transition.at if transition else now
    await conn.execute(_CLOSE, {"at": at, "by": by, "id": case_id})
    transitions = [transition] if transition else []
    who = {asset_id: {"case_id": case_id, "by": by, "path": path.value}}
    await save_transitions(conn, transitions, who)
    closed = StepEvent(
        kind="recovery_closed",
        asset_id=asset_id,
        case_id=case_id,
        by=by,
        occurred_at=at,
        observation_id=(
            transition.observation_id
            if transition
            else step_observation_id(case_id, "recovery_closed")
        ),
        site_id=case.site_id,
        facts={"path": path.value, "stage": "done", "status": status_after(path).value},
    )
    await record_steps(conn, [closed])


def _carry_out(state: AssetState, path: RecoveryPath, case_id: str, now: datetime) -> Transition:
    observation_id = f"recovery:{case_id}:closed"
    transition = decide_on(state, lambda at: carry_out(path, case_id, observation_id, at), now)
    if not transition.moved or transition.after.status is not status_after(path):
        done = "redeployed" if path is RecoveryPath.redeploy else "retired"
        raise rules.RecoveryRefused(
            f"asset {state.asset_id} is {state.status}: only an asset in recovery can be {done}"
        )
    return transition
