"""Flat rows for the consumer's Postgres table, and windows rebuilt from them.

A row is one (tag, read point) window: a zone presence is one row, a door visit one row
per side it was heard on. The read point travels in the row so a restore needs nothing
but the rows; every column is a plain str/int/float/None so the consumer can pass each
as one array to `INSERT ... SELECT FROM unnest(...)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from .reads import ReadPoint, Role
from .windows import NO_RSSI, DoorSide, DoorVisit, Presence, Window

ROLES: dict[str, Role] = {
    "portal_inside": "portal_inside",
    "portal_outside": "portal_outside",
    "zone": "zone",
}


class PresenceKey(NamedTuple):
    tag: str
    read_point_id: str
    start_us: int  # a presence (or visit) after an absence starts later, so keys stay unique


class PresenceRow(NamedTuple):
    tag: str
    read_point_id: str
    site_id: str
    zone_id: str
    zone_kind: str
    role: str
    door: str | None
    start_us: int  # of the presence or door visit: with tag and read point, the key
    first_read_id: str  # of the presence or door visit: its observation id
    first_seen_us: int
    last_seen_us: int
    peak_rssi: float | None
    peak_at_us: int | None  # door sides only: which side peaked first gives the direction
    read_count: int  # `count` would shadow tuple.count

    @property
    def key(self) -> PresenceKey:
        return PresenceKey(self.tag, self.read_point_id, self.start_us)


def keys_of(window: Window) -> list[PresenceKey]:
    if isinstance(window, Presence):
        return [PresenceKey(window.tag, window.read_point.id, window.start_us)]
    assert isinstance(window, DoorVisit)
    return [PresenceKey(window.tag, side.read_point.id, window.start_us) for side in window.sides()]


def rows_of(window: Window) -> list[PresenceRow]:
    if isinstance(window, Presence):
        return [
            _row(
                window,
                window.read_point,
                window.start_us,
                window.last_seen_us,
                window.peak_rssi,
                None,
                window.count,
            )
        ]
    assert isinstance(window, DoorVisit)
    return [
        _row(
            window,
            side.read_point,
            side.first_seen_us,
            side.last_seen_us,
            side.peak_rssi,
            side.peak_at_us,
            side.count,
        )
        for side in window.sides()
    ]


def _row(
    window: Window,
    read_point: ReadPoint,
    first_seen_us: int,
    last_seen_us: int,
    peak_rssi: float,
    peak_at_us: int | None,
    count: int,
) -> PresenceRow:
    return PresenceRow(
        window.tag,
        read_point.id,
        read_point.site_id,
        read_point.zone_id,
        read_point.zone_kind,
        read_point.role,
        read_point.door,
        window.start_us,
        window.first_read_id,
        first_seen_us,
        last_seen_us,
        None if peak_rssi == NO_RSSI else peak_rssi,
        peak_at_us,
        count,
    )


def windows_from_rows(rows: Iterable[PresenceRow]) -> list[Window]:
    """The windows the rows describe, in row order, not yet chained or queued."""
    read_points: dict[str, ReadPoint] = {}
    visits: dict[tuple[str, str, int], DoorVisit] = {}
    windows: list[Window] = []
    for row in rows:
        read_point = read_points.get(row.read_point_id) or _read_point(row)
        read_points[row.read_point_id] = read_point
        if read_point.door is None:
            windows.append(_presence(row, read_point))
            continue
        visit_key = (row.tag, read_point.door, row.start_us)
        visit = visits.get(visit_key)
        if visit is None:
            visit = DoorVisit(row.tag, read_point.door, row.start_us, row.first_read_id, None)
            visits[visit_key] = visit
            windows.append(visit)
        _restore_side(visit, row, read_point)
    return windows


def _read_point(row: PresenceRow) -> ReadPoint:
    role = ROLES.get(row.role)
    if role is None:
        raise ValueError(f"row for tag {row.tag}: the smoother holds no {row.role!r} read point")
    return ReadPoint(row.read_point_id, row.site_id, row.zone_id, row.zone_kind, role, row.door)


def _presence(row: PresenceRow, read_point: ReadPoint) -> Presence:
    presence = Presence(row.tag, read_point, row.start_us, row.first_read_id, None)
    presence.last_seen_us = row.last_seen_us
    presence.peak_rssi = NO_RSSI if row.peak_rssi is None else row.peak_rssi
    presence.count = row.read_count
    return presence


def _restore_side(visit: DoorVisit, row: PresenceRow, read_point: ReadPoint) -> None:
    side = DoorSide(read_point, row.first_seen_us)
    side.last_seen_us = row.last_seen_us
    side.peak_rssi = NO_RSSI if row.peak_rssi is None else row.peak_rssi
    side.peak_at_us = row.first_seen_us if row.peak_at_us is None else row.peak_at_us
    side.count = row.read_count
    if read_point.role == "portal_inside":
        visit.inside = side
    else:
        visit.outside = side
    visit.last_seen_us = max(visit.last_seen_us, side.last_seen_us)
