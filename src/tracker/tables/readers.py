"""Live health of each fixed reader, written by the reader adapters, read by GET /v1/readers."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import Insert, insert

from tracker.tables.metadata import metadata, updated_at

reader_health = Table(
    "reader_health",
    metadata,
    # No foreign key to read_points: a reader reports its health before (or without) anyone
    # mapping its antennas to zones, and that is exactly when an operator needs to see it.
    Column("reader_id", Text, primary_key=True),
    Column("connected", Boolean, nullable=False),
    Column("last_report_at", DateTime(timezone=True), nullable=True),
    Column("reads_per_s", Double, nullable=False, server_default="0"),
    Column("host", Text, nullable=False, comment="the reader's address, as the adapter dials it"),
    updated_at(),
    CheckConstraint("reads_per_s >= 0", name="reads_per_s"),
)


def upsert_reader_health() -> Insert:
    """One row per reader, replaced on every write; a missing last_report_at keeps the old one
    (an adapter that restarted has not heard the reader yet, but the reader was heard)."""
    statement = insert(reader_health)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[reader_health.c.reader_id],
        set_={
            "connected": excluded.connected,
            "last_report_at": func.coalesce(
                excluded.last_report_at, reader_health.c.last_report_at
            ),
            "reads_per_s": excluded.reads_per_s,
            "host": excluded.host,
            "updated_at": func.now(),
        },
    )
