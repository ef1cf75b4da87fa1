"""Making the database say what a site file says: create, update, (with prune) delete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.siteconfig.changes import Action, Change, ChangeReport
from tracker.siteconfig.model import SiteFile
from tracker.siteconfig.plan import Plan, Row, plan
from tracker.tables import asset_state, asset_types, custodians, read_points, sites, zones

# Two applies at once would race on the same inserts; one waits for the other instead.
_APPLY_LOCK = text("SELECT pg_advisory_xact_lock(hashtext('tagtrail.siteconfig.apply'))")
# Reader ids in a site file never contain a space, so a parked pair can clash with nothing.
_PARKED_PREFIX = "(parked) "


class SiteConfigConflict(Exception):
    """The file cannot be applied to what the database holds; the message says why."""


async def apply_site_config(
    conn: AsyncConnection, config: SiteFile, *, prune: bool = False
) -> ChangeReport:
    """Idempotent: applying the same file twice reports everything unchanged the second time.

    Runs in the caller's transaction if one is open (so a dry run can roll it back), else in
    its own; either way all of it or none of it lands.
    """
    desired = plan(config)
    async with _transaction(conn):
        await conn.execute(_APPLY_LOCK)
        changes = await _sync(conn, "site", sites, desired.sites)
        changes += await _sync(conn, "custodian", custodians, desired.custodians)
        changes += await _sync(conn, "zone", zones, desired.zones)
        changes += await _sync(conn, "asset_type", asset_types, desired.asset_types)
        if prune:
            changes += await _prune_read_points(conn, desired)
        changes += await _sync_read_points(conn, desired.read_points)
        if prune:
            changes += await _prune_zones(conn, desired)
    return ChangeReport(changes)


@asynccontextmanager
async def _transaction(conn: AsyncConnection) -> AsyncIterator[None]:
    if conn.in_transaction():
        yield
        return
    async with conn.begin():
        yield


async def _existing(conn: AsyncConnection, table: Table, ids: list[str]) -> dict[str, Row]:
    rows = await conn.execute(select(table).where(table.c.id.in_(ids)))
    return {row.id: dict(row._mapping) for row in rows}


def _diff(kind: str, desired: dict[str, Row], existing: dict[str, Row]) -> list[Change]:
    changes = []
    for row_id, row in desired.items():
        before = existing.get(row_id)
        if before is None:
            changes.append(Change(kind, row_id, Action.created))
            continue
        fields = tuple(name for name, value in row.items() if before[name] != value)
        changes.append(Change(kind, row_id, Action.updated if fields else Action.unchanged, fields))
    return changes


async def _sync(
    conn: AsyncConnection, kind: str, table: Table, desired: dict[str, Row]
) -> list[Change]:
    if not desired:
        return []
    changes = _diff(kind, desired, await _existing(conn, table, list(desired)))
    await _write(conn, table, desired, changes)
    return changes


async def _write(
    conn: AsyncConnection, table: Table, desired: dict[str, Row], changes: list[Change]
) -> None:
    created = [desired[c.id] for c in changes if c.action is Action.created]
    updated = [desired[c.id] for c in changes if c.action is Action.updated]
    if updated:
        columns = [name for name in next(iter(desired.values())) if name != "id"]
        # updated_at is what running consumers watch to re-read their read points.
        statement = (
            update(table)
            .where(table.c.id == bindparam("key"))
            .values(
                {**{name: bindparam(f"new_{name}") for name in columns}, "updated_at": func.now()}
            )
        )
        await conn.execute(statement, [_update_params(row, columns) for row in updated])
    if created:
        await conn.execute(insert(table), created)


def _update_params(row: Row, columns: list[str]) -> dict[str, Any]:
    return {"key": row["id"], **{f"new_{name}": row[name] for name in columns}}


async def _sync_read_points(conn: AsyncConnection, desired: dict[str, Row]) -> list[Change]:
    every = {row.id: dict(row._mapping) for row in await conn.execute(select(read_points))}
    changes = _diff("read_point", desired, {i: r for i, r in every.items() if i in desired})
    _refuse_taken_pairs(desired, every, changes)
    moved = [c.id for c in changes if c.action is Action.updated]
    if moved:
        # The unique (reader, antenna) is checked row by row: swapping a door's two antennas
        # would clash halfway, so the moving rows first step aside.
        await conn.execute(
            update(read_points)
            .where(read_points.c.id.in_(moved))
            .values(reader_id=_PARKED_PREFIX + read_points.c.id)
        )
    await _write(conn, read_points, desired, changes)
    return changes


def _refuse_taken_pairs(
    desired: dict[str, Row], every: dict[str, Row], changes: list[Change]
) -> None:
    kept_elsewhere = {
        (row["reader_id"], row["antenna"]): row_id
        for row_id, row in every.items()
        if row_id not in desired
    }
    for change in changes:
        if change.action is Action.unchanged:
            continue
        row = desired[change.id]
        holder = kept_elsewhere.get((row["reader_id"], row["antenna"]))
        if holder is not None:
            antenna = "all antennas" if row["antenna"] is None else f"antenna {row['antenna']}"
            raise SiteConfigConflict(
                f"read point {change.id!r}: reader {row['reader_id']!r} {antenna} belongs to "
                f"read point {holder!r}, which is not in this file (apply with --prune to "
                "delete it)"
            )


def _site_ids(desired: Plan) -> list[str]:
    return list(desired.sites)


async def _prune_read_points(conn: AsyncConnection, desired: Plan) -> list[Change]:
    # Only within the file's sites: another site's read points belong to another file.
    in_file_sites = select(zones.c.id).where(zones.c.site_id.in_(_site_ids(desired)))
    gone = await conn.execute(
        delete(read_points)
        .where(read_points.c.zone_id.in_(in_file_sites))
        .where(read_points.c.id.not_in(list(desired.read_points)))
        .returning(read_points.c.id)
    )
    return [Change("read_point", row_id, Action.deleted) for row_id in sorted(gone.scalars())]


async def _prune_zones(conn: AsyncConnection, desired: Plan) -> list[Change]:
    doomed = select(zones.c.id).where(
        zones.c.site_id.in_(_site_ids(desired)), zones.c.id.not_in(list(desired.zones))
    )
    occupied = await conn.execute(
        select(asset_state.c.zone_id, func.count())
        .where(asset_state.c.zone_id.in_(doomed))
        .group_by(asset_state.c.zone_id)
        .order_by(asset_state.c.zone_id)
    )
    holding = [f"{zone_id!r} ({count} assets)" for zone_id, count in occupied]
    if holding:
        raise SiteConfigConflict(
            f"cannot prune zone {', '.join(holding)}: assets are recorded there; "
            "keep the zone in the file until they have moved"
        )
    gone = await conn.execute(delete(zones).where(zones.c.id.in_(doomed)).returning(zones.c.id))
    return [Change("zone", zone_id, Action.deleted) for zone_id in sorted(gone.scalars())]
