"""Capture jobs and the capture log in PostgreSQL (tables `epcis_capture_jobs`,
`epcis_captured_events`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain import ZoneKind
from tracker.epcis.capture import CaptureError, PlannedEvent
from tracker.epcis.capture_reads import CapturePoint
from tracker.epcis.capture_replay import Place, Registration, ReplayContext
from tracker.epcis.identifiers import party, site_location, zone_location
from tracker.store.registry_writes import scheme_of_canonical
from tracker.tables import (
    asset_identifiers,
    asset_types,
    assets,
    custodians,
    epcis_capture_jobs,
    epcis_captured_events,
    read_points,
    sites,
    zones,
)


async def load_capture_points(conn: AsyncConnection) -> dict[str, CapturePoint]:
    """SGLN → the zone it names and the read points a captured event can be read at."""
    rows = (
        await conn.execute(
            select(
                zones.c.sgln,
                zones.c.site_id,
                zones.c.id,
                zones.c.kind,
                read_points.c.reader_id,
                read_points.c.antenna,
                read_points.c.role,
                read_points.c.door,
            )
            .select_from(zones.outerjoin(read_points, read_points.c.zone_id == zones.c.id))
            .where(zones.c.sgln.is_not(None))
            .order_by(zones.c.sgln, read_points.c.id)
        )
    ).all()
    handhelds: dict[str, str] = {}
    doors: dict[tuple[str, str], dict[str, Any]] = {}
    places: dict[str, tuple[str, str, str]] = {}
    for sgln, site_id, zone_id, kind, reader, antenna, role, door in rows:
        places.setdefault(sgln, (site_id, zone_id, kind))
        if role == "handheld":
            handhelds.setdefault(sgln, reader)
        elif role in ("portal_inside", "portal_outside") and antenna is not None:
            doors.setdefault((sgln, door), {"reader": reader})[role] = antenna
    points: dict[str, CapturePoint] = {}
    for sgln, (site_id, zone_id, kind) in places.items():
        door = next(
            (
                (d["reader"], d["portal_inside"], d["portal_outside"])
                for (s, _), d in sorted(doors.items())
                if s == sgln and {"portal_inside", "portal_outside"} <= d.keys()
            ),
            None,
        )
        points[sgln] = CapturePoint(site_id, zone_id, kind, handhelds.get(sgln), door)
    return points


async def load_parties(conn: AsyncConnection) -> dict[str, str]:
    """Party URI (as tagtrail's own events name a custodian) → custodian id."""
    rows = (await conn.execute(select(custodians.c.id, custodians.c.gln))).all()
    return {party(custodian_id, gln): custodian_id for custodian_id, gln in rows}


async def load_places(conn: AsyncConnection) -> dict[str, Place]:
    """Every site and zone by the URI an export names it by (tracker.epcis.identifiers): its
    SGLN, else its tagtrail URI. A zone wins over a site with the same SGLN."""
    places = {
        site_location(row.id, row.gln): Place(row.id)
        for row in await conn.execute(select(sites.c.id, sites.c.gln))
    }
    for row in await conn.execute(select(zones.c.id, zones.c.site_id, zones.c.kind, zones.c.sgln)):
        places[zone_location(row.id, row.sgln)] = Place(row.site_id, row.id, ZoneKind(row.kind))
    return places


async def load_replay_context(
    conn: AsyncConnection, planned: Sequence[PlannedEvent], sees_site: Callable[[str], bool] | None
) -> ReplayContext:
    """What `capture_replay.replay` needs to know of this tagtrail for these events."""
    tags = sorted({tag for event in planned for tag in event.epcs})
    asset_ids = sorted(
        {str(v) for e in planned for k, v in e.event.items() if k.endswith(":asset")}
    )
    known = await conn.execute(
        select(asset_identifiers.c.value, asset_identifiers.c.asset_id).where(
            asset_identifiers.c.value.in_(tags)
        )
    )
    existing = await conn.scalars(select(assets.c.id).where(assets.c.id.in_(asset_ids)))
    return ReplayContext(
        places=await load_places(conn),
        parties=await load_parties(conn),
        asset_types=frozenset(await conn.scalars(select(asset_types.c.id))),
        sites=frozenset(await conn.scalars(select(sites.c.id))),
        tags={row.value: row.asset_id for row in known},
        asset_ids=frozenset(existing),
        sees_site=sees_site,
    )


_REGISTER = text("""
WITH registered AS (
    INSERT INTO assets (id, type_id, home_site_id, owner, commissioned_at, created_at)
    SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:types AS text[]), CAST(:homes AS text[]),
        CAST(:owners AS text[]), CAST(:commissioned AS timestamptz[]),
        CAST(:created AS timestamptz[]))
    ON CONFLICT (id) DO NOTHING
    RETURNING id
)
INSERT INTO asset_identifiers (value, scheme, asset_id)
SELECT v.value, v.scheme, v.asset_id
FROM unnest(CAST(:values AS text[]), CAST(:schemes AS text[]), CAST(:ids AS text[]))
    AS v(value, scheme, asset_id)
JOIN registered r ON r.id = v.asset_id
ON CONFLICT (value) DO NOTHING
""")


async def register_assets(conn: AsyncConnection, registrations: Sequence[Registration]) -> None:
    """Register what another tagtrail's ADD events name, with their one identifier and their
    registration time. Idempotent: an asset or identifier that exists by now is left alone
    (a capture retried after Kafka was down registers nothing twice)."""
    if not registrations:
        return
    await conn.execute(
        _REGISTER,
        {
            "ids": [r.asset_id for r in registrations],
            "types": [r.type_id for r in registrations],
            "homes": [r.home_site_id for r in registrations],
            "owners": [r.owner for r in registrations],
            "commissioned": [r.commissioned_at for r in registrations],
            "created": [r.registered_at for r in registrations],
            "values": [r.tag for r in registrations],
            "schemes": [scheme_of_canonical(r.tag, r.tag_kind) for r in registrations],
        },
    )


async def start_job(
    conn: AsyncConnection, job_id: str, key_id: str, behaviour: str, event_count: int
) -> None:
    await conn.execute(
        epcis_capture_jobs.insert().values(
            id=job_id, key_id=key_id, error_behaviour=behaviour, event_count=event_count
        )
    )


async def log_events(
    conn: AsyncConnection, job_id: str, events: Sequence[PlannedEvent]
) -> set[str]:
    """Insert the events not captured before; the eventIDs that were new."""
    if not events:
        return set()
    rows = [
        {
            "event_id": e.event_id,
            "job_id": job_id,
            "event_index": e.index,
            "event_type": e.event_type,
            "event_time": e.event_time,
            "biz_step": e.biz_step,
            "disposition": e.disposition,
            "location": e.location,
            "epcs": list(e.epcs),
            "outcome": e.outcome,
            "event": dict(e.event),
        }
        for e in events
    ]
    statement = (
        insert(epcis_captured_events)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(epcis_captured_events.c.event_id)
    )
    result = await conn.execute(statement, rows)
    return {row[0] for row in result}


async def finish_job(
    conn: AsyncConnection,
    job_id: str,
    *,
    applied: int,
    duplicates: int,
    errors: Sequence[CaptureError],
) -> None:
    await conn.execute(
        update(epcis_capture_jobs)
        .where(epcis_capture_jobs.c.id == job_id)
        .values(
            status="errors" if errors else "success",
            applied=applied,
            duplicates=duplicates,
            errors=[error.as_json() for error in errors],
            finished_at=func.now(),
        )
    )


@dataclass(frozen=True, slots=True)
class CaptureJob:
    id: str
    key_id: str | None
    status: str
    error_behaviour: str
    event_count: int
    applied: int
    duplicates: int
    errors: list[dict[str, Any]]
    created_at: datetime
    finished_at: datetime | None


async def find_job(conn: AsyncConnection, job_id: str) -> CaptureJob | None:
    row = (
        await conn.execute(select(epcis_capture_jobs).where(epcis_capture_jobs.c.id == job_id))
    ).first()
    return CaptureJob(**row._mapping) if row is not None else None
