"""Alerts as operators handle them: list, acknowledge, resolve — recording who and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.store.writes import EVENTS_LOCK

_COLUMNS = (
    "id, asset_id, kind, severity, status, raised_at, site_id, custodian_id, "
    "value_at_risk, details, acked_by, acked_at, resolved_by, resolved_at, note"
)


@dataclass(frozen=True, slots=True)
class AlertFilter:
    status: str | None = None  # open | acked | resolved | active (= open or acked)
    kind: str | None = None
    site: str | None = None
    custodian: str | None = None
    asset: str | None = None
    visible_sites: list[str] | None = None


async def list_alerts(
    conn: AsyncConnection, f: AlertFilter, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """Newest first; `before` is the last id of the previous page (keyset paging)."""
    clauses: list[str] = ["TRUE"]
    params: dict[str, Any] = {"limit": limit}
    if f.status == "active":
        clauses.append("status <> 'resolved'")
    elif f.status is not None:
        clauses.append("status = :status")
        params["status"] = f.status
    for column, value in (
        ("kind", f.kind),
        ("site_id", f.site),
        ("custodian_id", f.custodian),
        ("asset_id", f.asset),
    ):
        if value is not None:
            clauses.append(f"{column} = :{column}")
            params[column] = value
    if f.visible_sites is not None:
        clauses.append("site_id = ANY(:visible)")
        params["visible"] = f.visible_sites
    if before is not None:
        clauses.append("id < :before")
        params["before"] = before
    rows = await conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM alerts WHERE {' AND '.join(clauses)} ORDER BY id DESC "
            "LIMIT :limit"
        ),
        params,
    )
    return [dict(row._mapping) for row in rows]


async def get_alert(conn: AsyncConnection, alert_id: int) -> dict[str, Any] | None:
    row = (
        await conn.execute(text(f"SELECT {_COLUMNS} FROM alerts WHERE id = :id"), {"id": alert_id})
    ).first()
    return dict(row._mapping) if row is not None else None


Outcome = Literal["done", "not_found", "already"]


async def acknowledge(
    conn: AsyncConnection, alert_id: int, who: str, note: str | None, now: datetime
) -> Outcome:
    updated = await conn.execute(
        text(
            "UPDATE alerts SET status = 'acked', acked_by = :who, acked_at = :now, "
            "note = COALESCE(:note, note) WHERE id = :id AND status = 'open'"
        ),
        {"id": alert_id, "who": who, "now": now, "note": note},
    )
    return "done" if updated.rowcount else await _why_not(conn, alert_id)


async def resolve(
    conn: AsyncConnection, alert_id: int, who: str, note: str | None, now: datetime
) -> Outcome:
    updated = await conn.execute(
        text(
            "UPDATE alerts SET status = 'resolved', resolved_by = :who, resolved_at = :now, "
            "note = COALESCE(:note, note) WHERE id = :id AND status <> 'resolved'"
        ),
        {"id": alert_id, "who": who, "now": now, "note": note},
    )
    return "done" if updated.rowcount else await _why_not(conn, alert_id)


async def _why_not(conn: AsyncConnection, alert_id: int) -> Outcome:
    exists = await conn.scalar(text("SELECT 1 FROM alerts WHERE id = :id"), {"id": alert_id})
    return "already" if exists else "not_found"


_OPERATOR_EVENT = text("""
INSERT INTO asset_events (asset_id, kind, occurred_at, observation_id, site_id, payload)
SELECT asset_id, :kind, :now, 'alert:' || id || ':' || :kind, site_id,
       jsonb_build_object('alert_id', id, 'alert_kind', kind, 'by', CAST(:who AS text),
                          'note', CAST(:note AS text))
FROM alerts WHERE id = :id
""")


async def record_operator_action(
    conn: AsyncConnection,
    alert_id: int,
    kind: Literal["alert_acknowledged", "alert_resolved"],
    who: str,
    note: str | None,
    now: datetime,
) -> None:
    """The operator's ack or resolve in the asset's history (and the live stream). Call last
    in the transaction: it takes the events lock until commit."""
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENTS_LOCK})
    await conn.execute(
        _OPERATOR_EVENT, {"kind": kind, "now": now, "who": who, "note": note, "id": alert_id}
    )
