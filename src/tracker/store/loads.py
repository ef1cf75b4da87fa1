"""What the consumer needs to know before it applies a batch: one query per question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain import AssetState, AssetStatus, ObservationKey, OpenDispatch, ZoneKind
from tracker.domain.rules import CLAIM_ALERTS, AlertKind


def site_custodian_id(site_id: str) -> str:
    """The custodian that holds an asset while it is at one of our sites."""
    return f"site:{site_id}"


@dataclass(frozen=True, slots=True)
class ReadPointRecord:
    id: str
    reader_id: str
    antenna: int | None
    role: str
    door: str | None
    zone_id: str
    zone_kind: ZoneKind
    site_id: str


async def load_read_points(conn: AsyncConnection) -> list[ReadPointRecord]:
    rows = await conn.execute(
        text(
            "SELECT rp.id, rp.reader_id, rp.antenna, rp.role, rp.door, z.id, z.kind, z.site_id "
            "FROM read_points rp JOIN zones z ON z.id = rp.zone_id"
        )
    )
    return [ReadPointRecord(r[0], r[1], r[2], r[3], r[4], r[5], ZoneKind(r[6]), r[7]) for r in rows]


async def read_points_version(conn: AsyncConnection) -> tuple[int, datetime | None]:
    """Changes whenever a read point or zone is added, removed or edited."""
    row = (
        await conn.execute(
            text(
                "SELECT (SELECT count(*) FROM read_points) + (SELECT count(*) FROM zones), "
                "GREATEST((SELECT max(updated_at) FROM read_points), "
                "(SELECT max(updated_at) FROM zones))"
            )
        )
    ).one()
    return int(row[0]), row[1]


async def resolve_tags(conn: AsyncConnection, tags: list[str]) -> dict[str, str]:
    """canonical tag → asset id, for the tags that are registered identifiers."""
    if not tags:
        return {}
    rows = await conn.execute(
        text("SELECT value, asset_id FROM asset_identifiers WHERE value = ANY(:tags)"),
        {"tags": tags},
    )
    return {str(value): str(asset_id) for value, asset_id in rows}


# An asset never observed has no row to lock: give it its default row first, so a sweeper
# that marks it missing meanwhile waits for us (or we read what it wrote) instead of being
# overwritten.
_ENSURE_ROWS_SQL = text("""
INSERT INTO asset_state (asset_id, status, site_id, custodian_id)
SELECT a.id, 'in_service', a.home_site_id, 'site:' || a.home_site_id
FROM assets a WHERE a.id = ANY(:ids) ORDER BY a.id
ON CONFLICT (asset_id) DO NOTHING
""")
_LOCK_SQL = text(
    "SELECT asset_id FROM asset_state WHERE asset_id = ANY(:ids) ORDER BY asset_id FOR UPDATE"
)
_STATE_SQL = text("""
SELECT a.id, a.home_site_id, s.status, s.site_id, s.zone_id, s.custodian_id, s.custody_since,
       s.dispatch_id, s.return_due_at, s.last_seen_at, s.last_event_at, s.last_observation_id,
       ARRAY(SELECT al.kind FROM alerts al WHERE al.asset_id = a.id
             AND al.status <> 'resolved' AND al.kind = ANY(:claims)) AS open_claims
FROM assets a LEFT JOIN asset_state s ON s.asset_id = a.id
WHERE a.id = ANY(:ids)
""")
# Alerts a partner's claim raised: nothing in the state row says they are open.
_CLAIM_KINDS = sorted({kind.value for kind in CLAIM_ALERTS.values()})


async def load_states(conn: AsyncConnection, asset_ids: list[str]) -> dict[str, AssetState]:
    """The current state of each asset; an asset never observed is in service at home."""
    if not asset_ids:
        return {}
    # Lock the rows this batch will rewrite (in one order, so consumers never deadlock): a
    # sweeper or an API action on the same asset waits for us, or we read its result.
    await conn.execute(_ENSURE_ROWS_SQL, {"ids": sorted(asset_ids)})
    await conn.execute(_LOCK_SQL, {"ids": sorted(asset_ids)})
    states: dict[str, AssetState] = {}
    for row in await conn.execute(_STATE_SQL, {"ids": asset_ids, "claims": _CLAIM_KINDS}):
        (
            asset_id,
            home,
            status,
            site,
            zone,
            custodian,
            since,
            dispatch,
            due,
            seen,
            event_at,
            observation_id,
            open_claims,
        ) = row
        home_custodian = site_custodian_id(home)
        states[asset_id] = AssetState(
            asset_id=asset_id,
            status=AssetStatus(status) if status else AssetStatus.in_service,
            home_site_id=home,
            home_custodian_id=home_custodian,
            site_id=site if status else home,
            zone_id=zone,
            custodian_id=custodian or home_custodian,
            custody_since=since,
            dispatch_id=dispatch,
            return_due_at=due,
            last_seen_at=seen,
            last_applied=ObservationKey(event_at, observation_id) if event_at else None,
            open_claims=frozenset(AlertKind(kind) for kind in open_claims),
        )
    return states


async def load_open_dispatches(
    conn: AsyncConnection, asset_ids: list[str]
) -> dict[str, OpenDispatch]:
    """Each asset's open dispatch line (not yet returned) of an open dispatch."""
    if not asset_ids:
        return {}
    rows = await conn.execute(
        text(
            "SELECT DISTINCT ON (l.asset_id) l.asset_id, d.id, d.custodian_id, "
            "d.expected_return_at "
            "FROM dispatch_lines l JOIN dispatches d ON d.id = l.dispatch_id "
            "WHERE l.asset_id = ANY(:ids) AND l.returned_at IS NULL AND d.status = 'open' "
            "ORDER BY l.asset_id, d.created_at DESC"
        ),
        {"ids": asset_ids},
    )
    return {
        asset_id: OpenDispatch(dispatch_id=d, custodian_id=c, expected_return_at=due)
        for asset_id, d, c, due in rows
    }
