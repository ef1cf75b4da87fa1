"""Service and life records, and audits (scheduled counts) with what each expected to find."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    Table,
    Text,
)

from tracker.tables.metadata import created_at, metadata, one_of

SERVICE_KINDS = ("service", "calibration", "repair", "inspection")
AUDIT_STATUSES = ("open", "closed")

service_records = Table(
    "service_records",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("asset_id", Text, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("performed_at", DateTime(timezone=True), nullable=False),
    Column("performed_by", Text, nullable=False),
    # NULL only when neither the record nor the asset's type gives an interval.
    Column("next_due_at", DateTime(timezone=True), nullable=True),
    Column("cost", Numeric(12, 2), nullable=True),
    Column("notes", Text, nullable=True),
    created_at(),
    CheckConstraint(one_of("kind", SERVICE_KINDS), name="kind"),
    # The sweeper and the CLI read each asset's latest record.
    Index(None, "asset_id", "performed_at"),
)

audits = Table(
    "audits",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("site_id", Text, ForeignKey("sites.id"), nullable=False),
    # NULL: the whole site.
    Column("zone_id", Text, ForeignKey("zones.id"), nullable=True),
    Column("status", Text, nullable=False, server_default="open"),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", Text, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("closed_by", Text, nullable=True),
    # The report's counts, kept so `tagtrail audit list` can show them after closing.
    Column("found_count", Integer, nullable=True),
    Column("missing_count", Integer, nullable=True),
    Column("unexpected_count", Integer, nullable=True),
    CheckConstraint(one_of("status", AUDIT_STATUSES), name="status"),
    Index(None, "status", "opened_at"),
)

audit_expected = Table(
    "audit_expected",
    metadata,
    # The snapshot taken at opening: what the tracker expected to be counted there.
    Column("audit_id", BigInteger, ForeignKey("audits.id", ondelete="CASCADE"), nullable=False),
    Column("asset_id", Text, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("audit_id", "asset_id"),
)
