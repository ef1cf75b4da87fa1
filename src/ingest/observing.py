"""From smoothed reads to tracker observations, and applying them to the batch's assets."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from ingest import metrics
from ingest.records import Read, from_us
from ingest.resolve import ReadPointIndex, TagResolver
from ingest.smoothing import DoorPassed, LateSighting, PresenceConfirmed, ReadPoint
from tracker.domain import (
    HandheldAction,
    HandheldScanned,
    Observation,
    ObservationRecordedLate,
    OpenDispatch,
    PortalDirection,
    PortalPassed,
    TurnaroundRecorded,
    ZoneEntered,
    ZoneKind,
    apply,
)
from tracker.domain.reported import Reported, apply_reported
from tracker.store import BatchWrites, load_open_dispatches, load_states


@dataclass(frozen=True, slots=True)
class Pending:
    """An observation waiting for its asset's state, a late read to record as such, or a
    fact another tagtrail reported (its observation depends on the state)."""

    asset_id: str
    now: datetime
    observation: Observation | None = None
    late: ObservationRecordedLate | None = None
    reported: Reported | None = None

    @classmethod
    def handheld(cls, asset_id: str, item: Read, read_point: ReadPoint) -> Pending:
        read = item.read
        scanned = HandheldScanned(
            observation_id=read.read_id,
            seen_at=item.seen_at,
            action=HandheldAction(read.action or "scan"),
            operator=read.operator or "unknown",
            site_id=read_point.site_id,
            zone_id=read_point.zone_id,
            zone_kind=ZoneKind(read_point.zone_kind),
            custodian_id=read.custodian,
            dispatch_id=read.dispatch_id,
        )
        return cls(asset_id, item.record_at, observation=scanned)


def pending_from(
    output: object, resolver: TagResolver, read_points: ReadPointIndex, now: datetime
) -> Pending | None:
    match output:
        case PresenceConfirmed(tag=tag, read_point=rp, at_us=at_us, observation_id=oid):
            asset_id = resolver.asset_of(tag)
            if asset_id is None:
                return None
            entered = ZoneEntered(
                observation_id=oid,
                seen_at=from_us(at_us),
                site_id=rp.site_id,
                zone_id=rp.zone_id,
                zone_kind=ZoneKind(rp.zone_kind),
                read_point_id=rp.id,
            )
            return Pending(asset_id, now, observation=entered)
        case DoorPassed() as door:
            return _door_passed(door, resolver, read_points, now)
        case LateSighting(tag=tag, read_point=rp, seen_us=seen_us, read_id=read_id):
            metrics.READS_LATE.inc()
            asset_id = resolver.asset_of(tag)
            if asset_id is None:
                return None
            late = ObservationRecordedLate(
                asset_id=asset_id,
                observation_id=read_id,
                occurred_at=from_us(seen_us),
                observation_kind=f"read at {rp.id}",
                last_applied_at=now,
            )
            return Pending(asset_id, now, late=late)
    return None


def _door_passed(
    door: DoorPassed, resolver: TagResolver, read_points: ReadPointIndex, now: datetime
) -> Pending | None:
    asset_id = resolver.asset_of(door.tag)
    if asset_id is None:
        return None
    read_point = read_points.by_id(door.read_point_id)
    zone_kind = ZoneKind(read_point.zone_kind) if read_point else ZoneKind.dock
    passed = PortalPassed(
        observation_id=door.observation_id,
        seen_at=from_us(door.at_us),
        direction=PortalDirection(door.direction),
        site_id=door.site_id,
        zone_id=door.zone_id,
        read_point_id=door.read_point_id,
        zone_kind=zone_kind,
    )
    return Pending(asset_id, now, observation=passed)


async def apply_pending(conn: AsyncConnection, pending: list[Pending], writes: BatchWrites) -> None:
    """Apply in order; each asset's state is loaded once and carried through the batch."""
    if not pending:
        return
    asset_ids = sorted({p.asset_id for p in pending})
    states = await load_states(conn, asset_ids)
    dispatches = await load_open_dispatches(conn, asset_ids)
    for item in pending:
        if item.late is not None:
            writes.events.append(item.late)
            continue
        state = writes.states.get(item.asset_id) or states.get(item.asset_id)
        if state is None:
            continue  # the asset was deleted from the registry after its tag was resolved
        if item.reported is not None:
            # The reporter decided custody (it names the receiver); no dispatch of ours.
            new_state, events = apply_reported(state, item.reported, item.now)
        elif item.observation is not None:
            observation = _with_dispatch(item.observation, dispatches.get(item.asset_id))
            new_state, events = apply(state, observation, item.now)
        else:
            continue
        metrics.OBSERVATIONS_APPLIED.inc()
        writes.states[item.asset_id] = new_state
        writes.events.extend(events)
        if any(isinstance(e, TurnaroundRecorded) for e in events):
            dispatches.pop(item.asset_id, None)


def _with_dispatch(observation: Observation, dispatch: OpenDispatch | None) -> Observation:
    if isinstance(observation, ZoneEntered | PortalPassed | HandheldScanned):
        return replace(observation, open_dispatch=dispatch)
    return observation
