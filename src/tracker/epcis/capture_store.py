"""Capture jobs and the capture log in PostgreSQL (tables `epcis_capture_jobs`,
`epcis_captured_events`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.epcis.capture import CaptureError, PlannedEvent
from tracker.epcis.capture_reads import CapturePoint
from tracker.epcis.identifiers import party
from tracker.tables import (
    custodians,
    epcis_capture_jobs,
    epcis_captured_events,
    read_points,
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
