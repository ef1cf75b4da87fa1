"""Recording handheld audit scans (the audits that count them live in tracker.audits)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class AuditScan:
    read_id: str
    asset_id: str
    site_id: str
    zone_id: str | None
    device_id: str
    operator: str | None
    seen_at: datetime


_INSERT = text("""
INSERT INTO audit_scans (read_id, asset_id, site_id, zone_id, device_id, operator, seen_at)
SELECT * FROM unnest(CAST(:read_ids AS text[]), CAST(:assets AS text[]),
    CAST(:sites AS text[]), CAST(:zones AS text[]), CAST(:devices AS text[]),
    CAST(:operators AS text[]), CAST(:seen AS timestamptz[]))
ON CONFLICT (read_id) DO NOTHING
""")


async def record_audit_scans(conn: AsyncConnection, scans: Sequence[AuditScan]) -> None:
    if not scans:
        return
    await conn.execute(
        _INSERT,
        {
            "read_ids": [s.read_id for s in scans],
            "assets": [s.asset_id for s in scans],
            "sites": [s.site_id for s in scans],
            "zones": [s.zone_id for s in scans],
            "devices": [s.device_id for s in scans],
            "operators": [s.operator for s in scans],
            "seen": [s.seen_at for s in scans],
        },
    )
