"""Recovery in the asset's history: one `asset_events` row per step (who, when, the step's
facts), and the status changes recovery makes through the tracker domain (`apply`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain import AssetState, Event, Observation, apply
from tracker.store import BatchWrites, save
from tracker.store.registry_writes import annotate_events
from tracker.store.writes import EVENTS_LOCK, OUTBOX_KINDS, RECOVERY_STEP_KINDS, outbox_rows

# The event kinds recovery writes, one per step.
STEP_KINDS = RECOVERY_STEP_KINDS


def step_observation_id(case_id: str, kind: str) -> str:
    """Unique per step; names the case, as an observation id names its cause."""
    return f"recovery:{case_id}:{kind}:{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class StepEvent:
    kind: str
    asset_id: str
    case_id: str
    by: str
    occurred_at: datetime
    observation_id: str
    site_id: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "by": self.by, **self.facts}


def _json_default(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)  # money stays exact, as in the tracker's payloads
    raise TypeError(f"no JSON form for {type(value).__name__}")


def to_json(value: object) -> str:
    return orjson.dumps(value, default=_json_default).decode()


# Like the tracker's own events, each step reaches the webhook outbox in the same statement.
_INSERT_STEPS = text(
    """
WITH inserted AS (
    INSERT INTO asset_events (asset_id, kind, occurred_at, observation_id, site_id, payload)
    SELECT * FROM unnest(CAST(:assets AS text[]), CAST(:kinds AS text[]),
        CAST(:occurred AS timestamptz[]), CAST(:observations AS text[]),
        CAST(:sites AS text[]), CAST(:payloads AS jsonb[]))
    RETURNING id, asset_id, kind, occurred_at, payload
)
"""
    + outbox_rows("inserted")
)


async def record_steps(conn: AsyncConnection, steps: Sequence[StepEvent]) -> None:
    """Call last in the transaction: like every writer of asset_events it holds EVENTS_LOCK
    from this insert to the commit, so event ids become visible in commit order."""
    if not steps:
        return
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENTS_LOCK})
    await conn.execute(
        _INSERT_STEPS,
        {
            "assets": [step.asset_id for step in steps],
            "kinds": [step.kind for step in steps],
            "occurred": [step.occurred_at for step in steps],
            "observations": [step.observation_id for step in steps],
            "sites": [step.site_id for step in steps],
            "payloads": [to_json(step.payload()) for step in steps],
            "outbox_kinds": OUTBOX_KINDS,
        },
    )


@dataclass(frozen=True, slots=True)
class Transition:
    """What `apply` made of one recovery decision (RecoveryOpened, Redeployed, Retired)."""

    before: AssetState
    after: AssetState
    events: list[Event]
    observation_id: str
    at: datetime

    @property
    def moved(self) -> bool:
        return self.after.status is not self.before.status


def decide_on(
    state: AssetState, observation_at: Callable[[datetime], Observation], now: datetime
) -> Transition:
    """Apply the observation `observation_at(at)` made for a moment after everything already
    applied to the asset (even a reader clock slightly ahead of ours), as retiring through
    the API does."""
    last = state.last_applied
    at = max(now, last.seen_at + timedelta(microseconds=1)) if last else now
    observation = observation_at(at)
    after, events = apply(state, observation, now)
    return Transition(state, after, events, observation.observation_id, at)


async def save_transitions(
    conn: AsyncConnection, transitions: Sequence[Transition], who: Mapping[str, dict[str, Any]]
) -> None:
    """Persist through the tracker's `save` (its events last), then add to the status events
    who decided and in which case (`who`: asset id → those words)."""
    if not transitions:
        return
    await save(
        conn,
        BatchWrites(
            states={t.after.asset_id: t.after for t in transitions},
            events=[event for t in transitions for event in t.events],
        ),
    )
    for transition in transitions:
        asset_id = transition.after.asset_id
        extra = {key: None if v is None else str(v) for key, v in who[asset_id].items()}
        await annotate_events(conn, asset_id, transition.observation_id, extra)
