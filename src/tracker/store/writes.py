"""Persisting what `apply` returned for a whole batch: a handful of set-based statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain import (
    DEFAULT_RULES,
    AlertRaised,
    AlertResolved,
    AssetState,
    AssetStatus,
    AssetStatusChanged,
    ClockClamped,
    CustodyTransferred,
    Event,
    ObservationRecordedLate,
    TurnaroundRecorded,
    event_payload,
)

# The event kinds recovery writes, one per step (tracker.recovery.store.history).
RECOVERY_STEP_KINDS = (
    "recovery_opened",
    "recovery_checked",
    "recovery_graded",
    "asset_sanitised",
    "repair_ordered",
    "repair_closed",
    "recovery_decided",
    "recovery_closed",
)

# Events other processes react to (webhooks, partners); the rest stay in asset_events only.
# Every recovery step counts: whoever resells, repairs or books the asset follows the case.
OUTBOX_KINDS = [
    "alert_raised",
    "alert_resolved",
    "custody_transferred",
    "asset_left_site",
    "asset_arrived",
    "asset_status_changed",
    "turnaround_recorded",
    *RECOVERY_STEP_KINDS,
]


def outbox_rows(recorded: str) -> str:
    """The INSERT that copies into the outbox the events of the CTE or table `recorded` (id,
    asset_id, kind, occurred_at, payload) whose kind is in `:outbox_kinds`, in id order: every
    writer of asset_events publishes in this one shape (webhooks, the SSE stream)."""
    return f"""INSERT INTO outbox (event_kind, asset_event_id, payload)
    SELECT kind, id, jsonb_build_object('id', id, 'asset_id', asset_id, 'kind', kind,
        'occurred_at', occurred_at, 'payload', payload)
    FROM {recorded} WHERE kind = ANY(CAST(:outbox_kinds AS text[])) ORDER BY id"""


@dataclass
class BatchWrites:
    """Everything one consumer batch (or one API action) changes, gathered before writing."""

    states: dict[str, AssetState] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    # asset id → (latest seen_at, read point id) of reads that moved no state
    sightings: dict[str, tuple[datetime, str]] = field(default_factory=dict)

    def see(self, asset_id: str, seen_at: datetime, read_point_id: str) -> None:
        known = self.sightings.get(asset_id)
        if known is None or seen_at > known[0]:
            self.sightings[asset_id] = (seen_at, read_point_id)


# Held from the event insert to the commit by every writer of asset_events, so event ids
# become visible in commit order: a reader (the SSE stream, Last-Event-ID) that has seen id N
# never later finds a smaller id appear. Writers insert events last, just before committing.
EVENTS_LOCK = 7_234_001


async def save(conn: AsyncConnection, writes: BatchWrites) -> None:
    """Call last in the transaction: the events insert takes EVENTS_LOCK until commit."""
    await _upsert_states(conn, list(writes.states.values()))
    await _record_sightings(conn, writes.sightings)
    await _apply_alerts(conn, writes.events, writes.states)
    await _update_dispatch_lines(conn, writes.events)
    await _stamp_retirements(conn, writes.events)
    await _insert_events(conn, writes.events)


_UPSERT_STATES = text("""
INSERT INTO asset_state (asset_id, status, site_id, zone_id, custodian_id, custody_since,
    dispatch_id, return_due_at, last_seen_at, last_event_at, last_observation_id, updated_at)
SELECT *, now() FROM unnest(CAST(:ids AS text[]), CAST(:statuses AS text[]),
    CAST(:sites AS text[]), CAST(:zones AS text[]), CAST(:custodians AS text[]),
    CAST(:since AS timestamptz[]), CAST(:dispatches AS text[]), CAST(:due AS timestamptz[]),
    CAST(:seen AS timestamptz[]), CAST(:event_at AS timestamptz[]),
    CAST(:observations AS text[]))
ON CONFLICT (asset_id) DO UPDATE SET
    status = EXCLUDED.status, site_id = EXCLUDED.site_id, zone_id = EXCLUDED.zone_id,
    custodian_id = EXCLUDED.custodian_id, custody_since = EXCLUDED.custody_since,
    dispatch_id = EXCLUDED.dispatch_id, return_due_at = EXCLUDED.return_due_at,
    -- plain repeats may already have moved last_seen_at past this observation
    last_seen_at = GREATEST(asset_state.last_seen_at, EXCLUDED.last_seen_at),
    last_event_at = EXCLUDED.last_event_at, last_observation_id = EXCLUDED.last_observation_id,
    updated_at = now()
""")


async def _upsert_states(conn: AsyncConnection, states: Sequence[AssetState]) -> None:
    if not states:
        return
    await conn.execute(
        _UPSERT_STATES,
        {
            "ids": [s.asset_id for s in states],
            "statuses": [s.status.value for s in states],
            "sites": [s.site_id for s in states],
            "zones": [s.zone_id for s in states],
            "custodians": [s.custodian_id for s in states],
            "since": [s.custody_since for s in states],
            "dispatches": [s.dispatch_id for s in states],
            "due": [s.return_due_at for s in states],
            "seen": [s.last_seen_at for s in states],
            "event_at": [s.last_applied.seen_at if s.last_applied else None for s in states],
            "observations": [
                s.last_applied.observation_id if s.last_applied else None for s in states
            ],
        },
    )


_RECORD_SIGHTINGS = text("""
INSERT INTO asset_state (asset_id, status, site_id, custodian_id, last_seen_at,
    last_read_point_id)
SELECT a.id, 'in_service', a.home_site_id, 'site:' || a.home_site_id, v.seen, v.rp
FROM unnest(CAST(:ids AS text[]), CAST(:seen AS timestamptz[]), CAST(:rps AS text[]))
    AS v(asset_id, seen, rp)
JOIN assets a ON a.id = v.asset_id
ON CONFLICT (asset_id) DO UPDATE SET
    last_seen_at = GREATEST(asset_state.last_seen_at, EXCLUDED.last_seen_at),
    last_read_point_id = CASE WHEN asset_state.last_seen_at IS NULL
        OR EXCLUDED.last_seen_at >= asset_state.last_seen_at
        THEN EXCLUDED.last_read_point_id ELSE asset_state.last_read_point_id END
""")


async def _record_sightings(
    conn: AsyncConnection, sightings: dict[str, tuple[datetime, str]]
) -> None:
    if not sightings:
        return
    ids = sorted(sightings)  # a fixed order: concurrent consumers never deadlock on rows
    await conn.execute(
        _RECORD_SIGHTINGS,
        {"ids": ids, "seen": [sightings[i][0] for i in ids], "rps": [sightings[i][1] for i in ids]},
    )


_INSERT_EVENTS = text(
    """
WITH inserted AS (
    INSERT INTO asset_events (asset_id, kind, occurred_at, observation_id, site_id, zone_id,
        late, clock_clamped, payload)
    SELECT * FROM unnest(CAST(:assets AS text[]), CAST(:kinds AS text[]),
        CAST(:occurred AS timestamptz[]), CAST(:observations AS text[]),
        CAST(:sites AS text[]), CAST(:zones AS text[]), CAST(:late AS boolean[]),
        CAST(:clamped AS boolean[]), CAST(:payloads AS jsonb[]))
    RETURNING id, asset_id, kind, occurred_at, payload
)
"""
    + outbox_rows("inserted")
)


async def _insert_events(conn: AsyncConnection, events: Sequence[Event]) -> None:
    if not events:
        return
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENTS_LOCK})
    clamped = {e.observation_id for e in events if isinstance(e, ClockClamped)}
    payloads = [event_payload(e) for e in events]
    await conn.execute(
        _INSERT_EVENTS,
        {
            "assets": [e.asset_id for e in events],
            "kinds": [e.kind for e in events],
            "occurred": [e.occurred_at for e in events],
            "observations": [e.observation_id for e in events],
            "sites": [p.get("site_id") for p in payloads],
            "zones": [p.get("zone_id", p.get("to_zone_id")) for p in payloads],
            "late": [isinstance(e, ObservationRecordedLate) for e in events],
            "clamped": [e.observation_id in clamped for e in events],
            "payloads": [orjson.dumps(p).decode() for p in payloads],
            "outbox_kinds": OUTBOX_KINDS,
        },
    )


_RAISE = text("""
INSERT INTO alerts (asset_id, kind, severity, raised_at, site_id, custodian_id, value_at_risk,
    details)
SELECT :asset, :kind, :severity, :at, :site, :custodian,
    COALESCE(CAST(:value AS numeric), a.value, t.replacement_value), CAST(:details AS jsonb)
FROM assets a JOIN asset_types t ON t.id = a.type_id WHERE a.id = :asset
ON CONFLICT (asset_id, kind) WHERE status <> 'resolved' DO NOTHING
""")
_RESOLVE = text("""
UPDATE alerts SET status = 'resolved', resolved_at = :at, resolved_by = 'tracker', note = :note
WHERE asset_id = :asset AND kind = :kind AND status <> 'resolved'
""")


async def _apply_alerts(
    conn: AsyncConnection, events: Sequence[Event], states: dict[str, AssetState]
) -> None:
    """In event order: a raise and a resolve of one asset in one batch must not swap."""
    for event in events:
        if isinstance(event, AlertRaised):
            state = states.get(event.asset_id)
            value = event.replacement_value
            await conn.execute(
                _RAISE,
                {
                    "asset": event.asset_id,
                    "kind": event.alert_kind.value,
                    "severity": DEFAULT_RULES[event.alert_kind].severity.value,
                    "at": event.occurred_at,
                    "site": event.site_id or (state.site_id if state else None),
                    "custodian": state.custodian_id if state else None,
                    "value": str(value) if isinstance(value, Decimal) else None,
                    "details": orjson.dumps(
                        {"reason": event.reason, "observation_id": event.observation_id}
                    ).decode(),
                },
            )
        elif isinstance(event, AlertResolved):
            await conn.execute(
                _RESOLVE,
                {
                    "asset": event.asset_id,
                    "kind": event.alert_kind.value,
                    "at": event.occurred_at,
                    "note": event.reason,
                },
            )


_LEFT = text("""
UPDATE dispatch_lines SET left_at = :at
WHERE dispatch_id = :dispatch AND asset_id = :asset AND left_at IS NULL
""")
_TRIP = text("UPDATE asset_state SET trips = trips + 1 WHERE asset_id = :asset")
_RETURNED = text("""
WITH line AS (
    UPDATE dispatch_lines SET returned_at = :at, returned_by = :by,
        returned_to_site_id = :site, turnaround_s = :turnaround
    WHERE dispatch_id = :dispatch AND asset_id = :asset AND returned_at IS NULL
    RETURNING dispatch_id
)
UPDATE dispatches d SET status = 'closed', closed_at = :at, updated_at = now()
FROM line WHERE d.id = line.dispatch_id AND NOT EXISTS (
    SELECT 1 FROM dispatch_lines l
    WHERE l.dispatch_id = d.id AND l.returned_at IS NULL AND l.asset_id <> :asset)
""")


async def _update_dispatch_lines(conn: AsyncConnection, events: Sequence[Event]) -> None:
    for event in events:
        if isinstance(event, CustodyTransferred) and event.dispatch_id:
            await conn.execute(
                _LEFT,
                {"at": event.occurred_at, "dispatch": event.dispatch_id, "asset": event.asset_id},
            )
        elif isinstance(event, TurnaroundRecorded):
            await conn.execute(_TRIP, {"asset": event.asset_id})  # replacement by trip count
            await conn.execute(
                _RETURNED,
                {
                    "at": event.occurred_at,
                    "by": event.returned_by_custodian_id,
                    "site": event.returned_to_site_id,
                    "dispatch": event.dispatch_id,
                    "asset": event.asset_id,
                    "turnaround": int(event.duration.total_seconds()) if event.duration else None,
                },
            )


_RETIRED = text("""
UPDATE assets SET retired_at = v.at, updated_at = now()
FROM unnest(CAST(:assets AS text[]), CAST(:at AS timestamptz[])) AS v(asset_id, at)
WHERE assets.id = v.asset_id AND assets.retired_at IS NULL
""")


async def _stamp_retirements(conn: AsyncConnection, events: Sequence[Event]) -> None:
    """The registry's retired_at at the retirement's event time, whoever retired the asset:
    the assets API, a recovery path, or another tagtrail's report applied by the consumer."""
    retired = {
        e.asset_id: e.occurred_at
        for e in events
        if isinstance(e, AssetStatusChanged) and e.to_status is AssetStatus.retired
    }
    if retired:
        ids = sorted(retired)  # the asset_id lock order every writer keeps
        await conn.execute(_RETIRED, {"assets": ids, "at": [retired[i] for i in ids]})
