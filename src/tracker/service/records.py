"""Service, calibration, repair and inspection records, and when each asset is next due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain import AlertKind, AlertResolved
from tracker.domain.model import require_aware
from tracker.store import BatchWrites, save


class ServiceKind(StrEnum):
    service = "service"
    calibration = "calibration"
    repair = "repair"
    inspection = "inspection"


class UnknownAsset(LookupError):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceEntry:
    """What the technician reports; `next_due_at` None = the type's interval decides."""

    asset_id: str
    kind: ServiceKind
    performed_at: datetime
    performed_by: str
    next_due_at: datetime | None = None
    cost: Decimal | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        require_aware("performed_at", self.performed_at)
        require_aware("next_due_at", self.next_due_at)
        if self.next_due_at is not None and self.next_due_at <= self.performed_at:
            raise ValueError("next_due_at must be after performed_at")
        if self.cost is not None and self.cost < 0:
            raise ValueError("cost must not be negative")


@dataclass(frozen=True, slots=True)
class RecordedService:
    id: int
    asset_id: str
    next_due_at: datetime | None
    # True when the record closed an open service_due alert.
    resolved_alert: bool


# The one definition of "next due", shared by the sweeper's statement: the latest record's
# due date (or its date + the interval when the record has none), else commissioning (or
# registration) + the type's interval. `a`, `t` and the latest record `r` must be in scope.
NEXT_DUE_SQL = """COALESCE(r.next_due_at, COALESCE(r.performed_at, a.commissioned_at, a.created_at)
    + t.service_interval_days * interval '1 day')"""

LATEST_RECORD_SQL = """LEFT JOIN LATERAL (SELECT sr.performed_at, sr.next_due_at
    FROM service_records sr WHERE sr.asset_id = a.id
    ORDER BY sr.performed_at DESC, sr.id DESC LIMIT 1) r ON true"""

_INSERT = text("""
INSERT INTO service_records (asset_id, kind, performed_at, performed_by, next_due_at, cost,
    notes)
SELECT a.id, :kind, :performed_at, :performed_by,
    COALESCE(CAST(:next_due_at AS timestamptz),
        CAST(:performed_at AS timestamptz) + t.service_interval_days * interval '1 day'),
    :cost, :notes
FROM assets a JOIN asset_types t ON t.id = a.type_id WHERE a.id = :asset_id
RETURNING id
""")
_NEXT_DUE = text(f"""
SELECT {NEXT_DUE_SQL} FROM assets a JOIN asset_types t ON t.id = a.type_id
{LATEST_RECORD_SQL}
WHERE a.id = :asset_id
""")
_OPEN_SERVICE_DUE = text(
    "SELECT 1 FROM alerts WHERE asset_id = :asset_id AND kind = 'service_due' "
    "AND status <> 'resolved'"
)


async def next_due_at(conn: AsyncConnection, asset_id: str) -> datetime | None:
    """When the asset is next due; None when neither a record nor its type sets a date."""
    row = (await conn.execute(_NEXT_DUE, {"asset_id": asset_id})).one_or_none()
    if row is None:
        raise UnknownAsset(asset_id)
    due: datetime | None = row[0]
    return due


async def record_service(
    conn: AsyncConnection, entry: ServiceEntry, now: datetime
) -> RecordedService:
    """Store the record; if it leaves the asset no longer due at `now`, resolve its open
    service_due alert (through `save`, so the resolution is an event like any other)."""
    require_aware("now", now)
    parameters = {
        "asset_id": entry.asset_id,
        "kind": entry.kind.value,
        "performed_at": entry.performed_at,
        "performed_by": entry.performed_by,
        "next_due_at": entry.next_due_at,
        "cost": entry.cost,
        "notes": entry.notes,
    }
    record_id = await conn.scalar(_INSERT, parameters)
    if record_id is None:
        raise UnknownAsset(entry.asset_id)
    due = await next_due_at(conn, entry.asset_id)
    settled = due is None or due > now
    resolved = settled and (await conn.scalar(_OPEN_SERVICE_DUE, parameters)) is not None
    if resolved:
        resolution = AlertResolved(
            asset_id=entry.asset_id,
            observation_id=f"service:{record_id}",
            occurred_at=now,
            alert_kind=AlertKind.service_due,
            reason=f"{entry.kind.value} recorded by {entry.performed_by}",
        )
        await save(conn, BatchWrites(events=[resolution]))
    return RecordedService(int(record_id), entry.asset_id, due, resolved)
