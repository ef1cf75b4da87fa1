"""Where each asset is now, everything that happened to it, its alerts, and unknown tags."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from tracker.tables.metadata import metadata, one_of, updated_at

ASSET_STATUSES = (
    "in_service",
    "in_transit",
    "at_custodian",
    "missing",
    "lost",
    "in_recovery",
    "retired",
)
ALERT_KINDS = (
    "unauthorized_exit",
    "overdue_return",
    "not_seen",
    "unexpected_location",
    "lost",
    "service_due",
    "replacement_due",
    "reported_stolen",
    "reported_destroyed",
)
ALERT_STATUSES = ("open", "acked", "resolved")
SEVERITIES = ("info", "warning", "critical")

asset_state = Table(
    "asset_state",
    metadata,
    Column("asset_id", Text, ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    Column("status", Text, nullable=False),
    Column("site_id", Text, ForeignKey("sites.id"), nullable=True),
    Column("zone_id", Text, ForeignKey("zones.id"), nullable=True),
    Column("custodian_id", Text, ForeignKey("custodians.id"), nullable=True),
    Column("dispatch_id", Text, ForeignKey("dispatches.id"), nullable=True),
    Column("custody_since", DateTime(timezone=True), nullable=True),
    Column("return_due_at", DateTime(timezone=True), nullable=True),
    Column("last_seen_at", DateTime(timezone=True), nullable=True),
    Column("last_read_point_id", Text, nullable=True),
    # Event-time order key of the last applied observation: late and duplicate ones are
    # recognised against it.
    Column("last_event_at", DateTime(timezone=True), nullable=True),
    Column("last_observation_id", Text, nullable=True),
    Column("trips", Integer, nullable=False, server_default="0"),
    updated_at(),
    CheckConstraint(one_of("status", ASSET_STATUSES), name="status"),
    # Filtered lists walk these in asset_id order and stop after a page.
    Index(None, "site_id", "status", "asset_id"),
    Index(None, "custodian_id", "status", "asset_id"),
    Index(None, "last_seen_at"),
)

asset_events = Table(
    "asset_events",
    metadata,
    # Also the SSE event id: a dashboard resumes with Last-Event-ID after this number.
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("asset_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False, comment="event time"),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("observation_id", Text, nullable=True),
    Column("site_id", Text, nullable=True),
    Column("zone_id", Text, nullable=True),
    Column("late", Boolean, nullable=False, server_default="false"),
    Column("clock_clamped", Boolean, nullable=False, server_default="false"),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # Append-only and large: no foreign key, so writes stay cheap; per-asset history and time
    # ranges are the two ways it is read.
    Index(None, "asset_id", "occurred_at", "id"),
    Index(None, "occurred_at"),
    # The value-stream report (tracker.reports.value_stream_sql) reads every status change,
    # and the custody transfers of departures, in this order: index-only scans, no sort.
    # Migration 0019 keys them on asset_id COLLATE "C" (bytewise, as the report orders);
    # Alembic reflects such a key as the plain column, so the model names the column.
    Index(
        "ix_asset_events_status_changes",
        "asset_id",
        "occurred_at",
        "id",
        postgresql_include=["payload"],
        postgresql_where=text("kind = 'asset_status_changed'"),
    ),
    Index(
        "ix_asset_events_custody_transfers",
        "asset_id",
        "occurred_at",
        postgresql_include=["payload"],
        postgresql_where=text("kind = 'custody_transferred'"),
    ),
)

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("kind", Text, nullable=False),
    Column("asset_type_id", Text, ForeignKey("asset_types.id"), nullable=True),
    Column("site_id", Text, ForeignKey("sites.id"), nullable=True),
    Column("threshold_s", BigInteger, nullable=True),
    Column("severity", Text, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    CheckConstraint(one_of("kind", ALERT_KINDS), name="kind"),
    CheckConstraint(one_of("severity", SEVERITIES), name="severity"),
    UniqueConstraint("kind", "asset_type_id", "site_id", postgresql_nulls_not_distinct=True),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("asset_id", Text, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("severity", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="open"),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("site_id", Text, nullable=True),
    Column("custodian_id", Text, nullable=True),
    Column("value_at_risk", Numeric(12, 2), nullable=True),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("acked_by", Text, nullable=True),
    Column("acked_at", DateTime(timezone=True), nullable=True),
    Column("resolved_by", Text, nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("note", Text, nullable=True),
    CheckConstraint(one_of("kind", ALERT_KINDS), name="kind"),
    CheckConstraint(one_of("status", ALERT_STATUSES), name="status"),
    CheckConstraint(one_of("severity", SEVERITIES), name="severity"),
    # One open alert per (asset, kind): raising twice, or two sweepers at once, cannot double.
    Index(
        "uq_alerts_open_asset_kind",
        "asset_id",
        "kind",
        unique=True,
        postgresql_where=text("status <> 'resolved'"),
    ),
    Index(None, "status", "kind", "raised_at"),
)

unknown_tags = Table(
    "unknown_tags",
    metadata,
    Column("tag", Text, primary_key=True),
    Column("tag_kind", Text, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("read_count", BigInteger, nullable=False, server_default="0"),
    Column("last_reader_id", Text, nullable=True),
    Column("last_read_point_id", Text, nullable=True),
    Column("enrolled_asset_id", Text, ForeignKey("assets.id"), nullable=True),
    Index(None, "last_seen_at"),
)
