"""Reads of tags nobody registered: counted per tag, never dropped (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(slots=True)
class UnknownTagSeen:
    tag: str
    tag_kind: str
    first_seen_at: datetime
    last_seen_at: datetime
    read_count: int
    last_reader_id: str
    last_read_point_id: str | None

    def add(self, seen_at: datetime, count: int, reader_id: str, read_point_id: str | None) -> None:
        self.read_count += count
        self.first_seen_at = min(self.first_seen_at, seen_at)
        if seen_at >= self.last_seen_at:
            self.last_seen_at = seen_at
            self.last_reader_id = reader_id
            self.last_read_point_id = read_point_id


_UPSERT = text("""
INSERT INTO unknown_tags (tag, tag_kind, first_seen_at, last_seen_at, read_count,
    last_reader_id, last_read_point_id)
SELECT * FROM unnest(CAST(:tags AS text[]), CAST(:kinds AS text[]),
    CAST(:first AS timestamptz[]), CAST(:last AS timestamptz[]), CAST(:counts AS bigint[]),
    CAST(:readers AS text[]), CAST(:rps AS text[]))
ON CONFLICT (tag) DO UPDATE SET
    first_seen_at = LEAST(unknown_tags.first_seen_at, EXCLUDED.first_seen_at),
    read_count = unknown_tags.read_count + EXCLUDED.read_count,
    last_reader_id = CASE WHEN EXCLUDED.last_seen_at >= unknown_tags.last_seen_at
        THEN EXCLUDED.last_reader_id ELSE unknown_tags.last_reader_id END,
    last_read_point_id = CASE WHEN EXCLUDED.last_seen_at >= unknown_tags.last_seen_at
        THEN EXCLUDED.last_read_point_id ELSE unknown_tags.last_read_point_id END,
    last_seen_at = GREATEST(unknown_tags.last_seen_at, EXCLUDED.last_seen_at)
""")


async def record_unknown_tags(conn: AsyncConnection, seen: Sequence[UnknownTagSeen]) -> None:
    if not seen:
        return
    rows = sorted(seen, key=lambda s: s.tag)  # a fixed lock order across consumers
    await conn.execute(
        _UPSERT,
        {
            "tags": [s.tag for s in rows],
            "kinds": [s.tag_kind for s in rows],
            "first": [s.first_seen_at for s in rows],
            "last": [s.last_seen_at for s in rows],
            "counts": [s.read_count for s in rows],
            "readers": [s.last_reader_id for s in rows],
            "rps": [s.last_read_point_id for s in rows],
        },
    )
