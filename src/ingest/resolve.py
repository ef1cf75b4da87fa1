"""Caches in front of the tracker's tables: read points by (reader, antenna), tags by value."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import cast

from sqlalchemy.ext.asyncio import AsyncConnection

from ingest.smoothing import ReadPoint
from ingest.smoothing.reads import Role
from tracker.store import load_read_points, read_points_version, resolve_tags

_UNKNOWN = ""  # negative-cache marker: the tag is no registered identifier (for now)


class ReadPointIndex:
    """(reader_id, antenna) → read point; a read point with antenna NULL covers all antennas.

    Checked against the tables' version at most every `recheck_s`, so `tagtrail sites apply`
    takes effect in running consumers without a restart.
    """

    def __init__(self, recheck_s: float = 2.0) -> None:
        self._points: dict[tuple[str, int | None], ReadPoint] = {}
        self._by_id: dict[str, ReadPoint] = {}
        self._version: object = None
        self._checked_at = 0.0
        self._recheck_s = recheck_s

    async def refresh(self, conn: AsyncConnection, force: bool = False) -> None:
        if not force and time.monotonic() - self._checked_at < self._recheck_s:
            return
        self._checked_at = time.monotonic()
        version = await read_points_version(conn)
        if version == self._version and not force:
            return
        self._version = version
        self._points = {
            (rp.reader_id, rp.antenna): ReadPoint(
                id=rp.id,
                site_id=rp.site_id,
                zone_id=rp.zone_id,
                zone_kind=rp.zone_kind.value,
                role=cast(Role, rp.role),
                door=rp.door,
            )
            for rp in await load_read_points(conn)
        }
        self._by_id = {point.id: point for point in self._points.values()}

    def by_id(self, read_point_id: str) -> ReadPoint | None:
        return self._by_id.get(read_point_id)

    def get(self, reader_id: str, antenna: int | None) -> ReadPoint | None:
        found = self._points.get((reader_id, antenna))
        return found if found is not None else self._points.get((reader_id, None))


class TagResolver:
    """canonical tag → asset id. Unknown tags are re-asked after `negative_ttl_s`, so a tag
    enrolled while the consumer runs is picked up."""

    def __init__(self, max_entries: int = 2_000_000, negative_ttl_s: float = 5.0) -> None:
        self._assets: dict[str, str] = {}
        self._max = max_entries
        self._negative_ttl_s = negative_ttl_s
        self._negative_since = time.monotonic()

    async def prefetch(self, conn: AsyncConnection, tags: Iterable[str]) -> None:
        if time.monotonic() - self._negative_since > self._negative_ttl_s:
            self._assets = {t: a for t, a in self._assets.items() if a != _UNKNOWN}
            self._negative_since = time.monotonic()
        missing = list({t for t in tags if t not in self._assets})
        if not missing:
            return
        if len(self._assets) + len(missing) > self._max:
            self._assets.clear()  # a crude bound; the registry is re-read as needed
        found = await resolve_tags(conn, missing)
        for tag in missing:
            self._assets[tag] = found.get(tag, _UNKNOWN)

    def forget_unknown(self, tags: Iterable[str]) -> None:
        """Ask again for these tags, even if they were unknown a moment ago."""
        for tag in tags:
            if self._assets.get(tag) == _UNKNOWN:
                del self._assets[tag]

    def learn(self, tag: str, asset_id: str) -> None:
        self._assets[tag] = asset_id

    def asset_of(self, tag: str) -> str | None:
        return self._assets.get(tag) or None
