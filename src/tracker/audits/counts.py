"""Audits: open one for a site or a zone (snapshotting what the tracker expects there), let
handheld `audit` scans count, close it with a report; the missing become `missing`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain import MarkedMissing, MissingSource, apply
from tracker.domain.model import require_aware
from tracker.store import BatchWrites, load_states, save


class AuditRefused(ValueError):
    """The audit cannot be opened or closed as asked (unknown place, unknown or closed audit)."""


@dataclass(frozen=True, slots=True)
class AuditReport:
    audit_id: int
    # Expected there and counted.
    found: tuple[str, ...]
    # Expected there, not counted, and not seen by the tracker since the audit opened: these
    # are marked missing.
    missing: tuple[str, ...]
    # Counted there but not expected (registered elsewhere, or in another status).
    unexpected: tuple[str, ...]
    # Expected there and not counted, but sighted by the tracker after the audit opened (moved,
    # dispatched, or scanned in another zone meanwhile): accounted for, not marked missing.
    sighted_since_opening: tuple[str, ...] = ()


def audit_observation_id(audit_id: int) -> str:
    """Names the audit in asset_events.observation_id: the cause of what closing it changed."""
    return f"audit:{audit_id}"


_PLACE_EXISTS = text("""
SELECT EXISTS (SELECT 1 FROM sites WHERE id = :site),
    CAST(:zone AS text) IS NULL OR EXISTS (SELECT 1 FROM zones WHERE id = :zone AND site_id = :site)
""")
_OPEN = text("""
INSERT INTO audits (site_id, zone_id, opened_at, opened_by) VALUES (:site, :zone, :now, :by)
RETURNING id
""")
# In service there now; at a site audit also the assets the consumer never saw, which are in
# service at their home site (tracker.store.load_states says the same).
_SNAPSHOT = text("""
INSERT INTO audit_expected (audit_id, asset_id)
SELECT CAST(:audit AS bigint), s.asset_id FROM asset_state s JOIN assets a ON a.id = s.asset_id
WHERE s.status = 'in_service' AND s.site_id = :site AND a.retired_at IS NULL
    AND (CAST(:zone AS text) IS NULL OR s.zone_id = :zone)
UNION
SELECT CAST(:audit AS bigint), a.id FROM assets a
WHERE CAST(:zone AS text) IS NULL AND a.home_site_id = :site AND a.retired_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM asset_state s WHERE s.asset_id = a.id)
""")


async def open_audit(
    conn: AsyncConnection, site_id: str, zone_id: str | None, opened_by: str, now: datetime
) -> int:
    """Open an audit and snapshot what it expects to count; returns its id."""
    require_aware("now", now)
    place = {"site": site_id, "zone": zone_id}
    site_known, zone_known = (await conn.execute(_PLACE_EXISTS, place)).one()
    if not site_known:
        raise AuditRefused(f"no site {site_id!r}")
    if not zone_known:
        raise AuditRefused(f"no zone {zone_id!r} at site {site_id!r}")
    audit_id = int((await conn.execute(_OPEN, {**place, "now": now, "by": opened_by})).scalar_one())
    await conn.execute(_SNAPSHOT, {**place, "audit": audit_id})
    return audit_id


_LOCK_AUDIT = text(
    "SELECT site_id, zone_id, opened_at, status FROM audits WHERE id = :audit FOR UPDATE"
)
# Each asset expected or counted: (asset, expected, counted, seen by the tracker since the
# opening). Scans count from the opening up to the closing, inclusive.
_TALLY = text("""
WITH counted AS (
    SELECT DISTINCT asset_id FROM audit_scans
    WHERE site_id = :site AND (CAST(:zone AS text) IS NULL OR zone_id = :zone)
        AND seen_at >= :opened_at AND seen_at <= :now
),
expected AS (SELECT asset_id FROM audit_expected WHERE audit_id = CAST(:audit AS bigint))
SELECT asset_id, x.asset_id IS NOT NULL, c.asset_id IS NOT NULL,
    COALESCE(s.last_seen_at >= :opened_at, false)
FROM expected x FULL JOIN counted c USING (asset_id)
LEFT JOIN asset_state s USING (asset_id)
ORDER BY asset_id
""")
_CLOSE = text("""
UPDATE audits SET status = 'closed', closed_at = :now, closed_by = :by,
    found_count = :found, missing_count = :missing, unexpected_count = :unexpected
WHERE id = :audit
""")


async def _tally(conn: AsyncConnection, audit_id: int, now: datetime) -> AuditReport:
    """Lock the audit (a second closer waits, then is refused) and compare."""
    row = (await conn.execute(_LOCK_AUDIT, {"audit": audit_id})).one_or_none()
    if row is None:
        raise AuditRefused(f"no audit {audit_id}")
    site_id, zone_id, opened_at, status = row
    if status != "open":
        raise AuditRefused(f"audit {audit_id} is already closed")
    if now < opened_at:
        raise AuditRefused(f"audit {audit_id} cannot close before it opened ({opened_at})")
    window = {"audit": audit_id, "site": site_id, "zone": zone_id, "opened_at": opened_at}
    rows = (await conn.execute(_TALLY, {**window, "now": now})).all()
    return AuditReport(
        audit_id,
        found=tuple(a for a, expected, counted, _ in rows if expected and counted),
        missing=tuple(
            a for a, expected, counted, seen in rows if expected and not (counted or seen)
        ),
        unexpected=tuple(a for a, expected, counted, _ in rows if counted and not expected),
        sighted_since_opening=tuple(
            a for a, expected, counted, seen in rows if expected and seen and not counted
        ),
    )


async def close_audit(
    conn: AsyncConnection, audit_id: int, closed_by: str, now: datetime
) -> AuditReport:
    """Close the audit and mark its missing assets missing, in the caller's transaction.

    The decision goes through the domain (`apply` with `MarkedMissing`), so the transition,
    its `not_seen` alert and the events are exactly those a sweeper's decision would make,
    with the audit named as their cause.
    """
    require_aware("now", now)
    report = await _tally(conn, audit_id, now)
    writes = BatchWrites()
    states = await load_states(conn, list(report.missing))
    for asset_id in report.missing:
        observation = MarkedMissing(
            observation_id=audit_observation_id(audit_id),
            seen_at=now,
            source=MissingSource.audit,
            audit_id=str(audit_id),
        )
        state, events = apply(states[asset_id], observation, now)
        writes.states[asset_id] = state
        writes.events.extend(events)
    await save(conn, writes)
    counts = {
        "found": len(report.found),
        "missing": len(report.missing),
        "unexpected": len(report.unexpected),
    }
    await conn.execute(_CLOSE, {"audit": audit_id, "by": closed_by, "now": now, **counts})
    return report


@dataclass(frozen=True, slots=True)
class AuditSummary:
    id: int
    site_id: str
    zone_id: str | None
    status: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    expected: int
    # None while the audit is open.
    found: int | None
    missing: int | None
    unexpected: int | None


_LIST = text("""
SELECT a.id, a.site_id, a.zone_id, a.status, a.opened_at, a.opened_by, a.closed_at,
    a.closed_by, (SELECT count(*) FROM audit_expected x WHERE x.audit_id = a.id),
    a.found_count, a.missing_count, a.unexpected_count
FROM audits a
WHERE CAST(:status AS text) IS NULL OR a.status = :status
ORDER BY a.opened_at DESC, a.id DESC LIMIT :limit
""")


async def list_audits(
    conn: AsyncConnection, *, status: str | None = None, limit: int = 100
) -> list[AuditSummary]:
    """The newest audits first."""
    rows = await conn.execute(_LIST, {"status": status, "limit": limit})
    return [AuditSummary(*row) for row in rows]
