"""EPCIS capture: one row per capture job, one per captured event (the capture log).

The log's primary key is the eventID (given by the partner, or the CBV 2.0 event hash
computed on capture), so the same event captured twice is applied once.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from tracker.tables.metadata import created_at, metadata, one_of

CAPTURE_STATUSES = ("running", "success", "errors")
ERROR_BEHAVIOURS = ("rollback", "proceed")
# observed: published as reads or reported facts (tracker rules apply); registered: another
# tagtrail's ADD registered the asset (migration 0016); stored: kept in the log only.
CAPTURE_OUTCOMES = ("observed", "stored", "registered")

epcis_capture_jobs = Table(
    "epcis_capture_jobs",
    metadata,
    Column("id", Text, primary_key=True),
    Column("key_id", Text, nullable=True, comment="the API key that captured"),
    Column("status", Text, nullable=False, server_default="running"),
    Column("error_behaviour", Text, nullable=False),
    Column("event_count", Integer, nullable=False),
    Column("applied", Integer, nullable=False, server_default="0"),
    Column("duplicates", Integer, nullable=False, server_default="0"),
    Column(
        "errors",
        JSONB,
        nullable=False,
        server_default="[]",
        comment="[{eventIndex, eventID, reason}]",
    ),
    created_at(),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(one_of("status", CAPTURE_STATUSES), name="status"),
    CheckConstraint(one_of("error_behaviour", ERROR_BEHAVIOURS), name="error_behaviour"),
)

epcis_captured_events = Table(
    "epcis_captured_events",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column(
        "job_id",
        Text,
        ForeignKey("epcis_capture_jobs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("event_index", Integer, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False, index=True),
    Column("biz_step", Text, nullable=True),
    Column("disposition", Text, nullable=True),
    Column("location", Text, nullable=True, comment="bizLocation, else readPoint"),
    Column("epcs", ARRAY(Text), nullable=False, comment="canonical tags of the event's EPCs"),
    Column("outcome", Text, nullable=False),
    Column("event", JSONB, nullable=False, comment="the event as captured"),
    created_at(),
    CheckConstraint(one_of("outcome", CAPTURE_OUTCOMES), name="outcome"),
)
