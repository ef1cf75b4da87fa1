"""baseline: registry, sites, custody, state, alerts, plumbing

Revision ID: 0001
Revises:
Create Date: 2026-11-24 04:38:53.526597
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, comment="event time"),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("observation_id", sa.Text(), nullable=True),
        sa.Column("site_id", sa.Text(), nullable=True),
        sa.Column("zone_id", sa.Text(), nullable=True),
        sa.Column("late", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("clock_clamped", sa.Boolean(), server_default="false", nullable=False),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_events")),
    )
    op.create_index(
        op.f("ix_asset_events_asset_id_occurred_at_id"),
        "asset_events",
        ["asset_id", "occurred_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_asset_events_occurred_at"), "asset_events", ["occurred_at"], unique=False
    )
    op.create_table(
        "asset_types",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "replacement_value",
            sa.Numeric(precision=12, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column("currency", sa.Text(), server_default="EUR", nullable=False),
        sa.Column("expected_cycle_days", sa.Integer(), nullable=True),
        sa.Column("data_bearing", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("service_interval_days", sa.Integer(), nullable=True),
        sa.Column("max_trips", sa.Integer(), nullable=True),
        sa.Column("max_age_days", sa.Integer(), nullable=True),
        sa.Column("storage_zone_kind", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_types")),
    )
    op.create_table(
        "consumer_offsets",
        sa.Column("group_id", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("group_id", "topic", "partition", name=op.f("pk_consumer_offsets")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_kind", sa.Text(), nullable=False),
        sa.Column("asset_event_id", sa.BigInteger(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        op.f("ix_outbox_id"),
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("dispatched_at IS NULL"),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("gln", sa.Text(), nullable=True, comment="GS1 GLN of the site, for EPCIS"),
        sa.Column("timezone", sa.Text(), server_default="UTC", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("event_kinds", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("asset_type_id", sa.Text(), nullable=True),
        sa.Column("site_id", sa.Text(), nullable=True),
        sa.Column("threshold_s", sa.BigInteger(), nullable=True),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="true", nullable=False),
        sa.CheckConstraint(
            "kind IN ('unauthorized_exit', 'overdue_return', 'not_seen', 'unexpected_location', 'lost', 'service_due', 'replacement_due')",
            name=op.f("ck_alert_rules_kind"),
        ),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name=op.f("ck_alert_rules_severity")
        ),
        sa.ForeignKeyConstraint(
            ["asset_type_id"],
            ["asset_types.id"],
            name=op.f("fk_alert_rules_asset_type_id_asset_types"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_alert_rules_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
        sa.UniqueConstraint(
            "kind",
            "asset_type_id",
            "site_id",
            name=op.f("uq_alert_rules_kind_asset_type_id_site_id"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("type_id", sa.Text(), nullable=False),
        sa.Column("home_site_id", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column(
            "value",
            sa.Numeric(precision=12, scale=2),
            nullable=True,
            comment="overrides the type's value",
        ),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("commissioned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["home_site_id"], ["sites.id"], name=op.f("fk_assets_home_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["type_id"], ["asset_types.id"], name=op.f("fk_assets_type_id_asset_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_index(op.f("ix_assets_home_site_id"), "assets", ["home_site_id"], unique=False)
    op.create_index(op.f("ix_assets_type_id"), "assets", ["type_id"], unique=False)
    op.create_table(
        "custodians",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=True, comment="for kind = site"),
        sa.Column(
            "return_days", sa.Integer(), nullable=True, comment="return terms: days allowed out"
        ),
        sa.Column(
            "contact",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('customer', 'carrier', 'site', 'person')", name=op.f("ck_custodians_kind")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_custodians_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custodians")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("webhook_id", sa.BigInteger(), nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_webhook_deliveries_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_webhook_deliveries_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index(
        op.f("ix_webhook_deliveries_next_attempt_at"),
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "zones",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("sgln", sa.Text(), nullable=True, comment="SGLN URI of the zone, for EPCIS"),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('dock', 'storage', 'yard', 'repair', 'quarantine', 'external')",
            name=op.f("ck_zones_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_zones_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
    )
    op.create_index(op.f("ix_zones_site_id"), "zones", ["site_id"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=True),
        sa.Column("custodian_id", sa.Text(), nullable=True),
        sa.Column("value_at_risk", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("acked_by", sa.Text(), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('unauthorized_exit', 'overdue_return', 'not_seen', 'unexpected_location', 'lost', 'service_due', 'replacement_due')",
            name=op.f("ck_alerts_kind"),
        ),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name=op.f("ck_alerts_severity")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acked', 'resolved')", name=op.f("ck_alerts_status")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_alerts_asset_id_assets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        op.f("ix_alerts_status_kind_raised_at"),
        "alerts",
        ["status", "kind", "raised_at"],
        unique=False,
    )
    op.create_index(
        "uq_alerts_open_asset_kind",
        "alerts",
        ["asset_id", "kind"],
        unique=True,
        postgresql_where=sa.text("status <> 'resolved'"),
    )
    op.create_table(
        "asset_identifiers",
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("scheme", sa.Text(), nullable=False),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "scheme IN ('epc', 'epc_hex', 'gs1', 'serial')",
            name=op.f("ck_asset_identifiers_scheme"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_identifiers_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("value", name=op.f("pk_asset_identifiers")),
    )
    op.create_index(
        op.f("ix_asset_identifiers_asset_id"), "asset_identifiers", ["asset_id"], unique=False
    )
    op.create_table(
        "dispatches",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("custodian_id", sa.Text(), nullable=False),
        sa.Column("from_site_id", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("expected_return_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('open', 'closed', 'cancelled')", name=op.f("ck_dispatches_status")
        ),
        sa.ForeignKeyConstraint(
            ["custodian_id"], ["custodians.id"], name=op.f("fk_dispatches_custodian_id_custodians")
        ),
        sa.ForeignKeyConstraint(
            ["from_site_id"], ["sites.id"], name=op.f("fk_dispatches_from_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
    )
    op.create_index(
        op.f("ix_dispatches_custodian_id"), "dispatches", ["custodian_id"], unique=False
    )
    op.create_index(
        op.f("ix_dispatches_expected_return_at"),
        "dispatches",
        ["expected_return_at"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "read_points",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("reader_id", sa.Text(), nullable=False),
        sa.Column("antenna", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column(
            "door",
            sa.Text(),
            nullable=True,
            comment="dock door that pairs an inside and an outside",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role IN ('portal_inside', 'portal_outside', 'zone', 'handheld')",
            name=op.f("ck_read_points_role"),
        ),
        sa.CheckConstraint("antenna IS NULL OR antenna >= 0", name=op.f("ck_read_points_antenna")),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_read_points_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_points")),
        sa.UniqueConstraint(
            "reader_id",
            "antenna",
            name=op.f("uq_read_points_reader_id_antenna"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(op.f("ix_read_points_zone_id"), "read_points", ["zone_id"], unique=False)
    op.create_table(
        "unknown_tags",
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("tag_kind", sa.Text(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_count", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("last_reader_id", sa.Text(), nullable=True),
        sa.Column("last_read_point_id", sa.Text(), nullable=True),
        sa.Column("enrolled_asset_id", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enrolled_asset_id"],
            ["assets.id"],
            name=op.f("fk_unknown_tags_enrolled_asset_id_assets"),
        ),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_unknown_tags")),
    )
    op.create_index(
        op.f("ix_unknown_tags_last_seen_at"), "unknown_tags", ["last_seen_at"], unique=False
    )
    op.create_table(
        "asset_state",
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=True),
        sa.Column("zone_id", sa.Text(), nullable=True),
        sa.Column("custodian_id", sa.Text(), nullable=True),
        sa.Column("dispatch_id", sa.Text(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_read_point_id", sa.Text(), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_observation_id", sa.Text(), nullable=True),
        sa.Column("trips", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('in_service', 'in_transit', 'at_custodian', 'missing', 'lost', 'in_recovery', 'retired')",
            name=op.f("ck_asset_state_status"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_state_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["custodian_id"], ["custodians.id"], name=op.f("fk_asset_state_custodian_id_custodians")
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_id"], ["dispatches.id"], name=op.f("fk_asset_state_dispatch_id_dispatches")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_asset_state_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_asset_state_zone_id_zones")
        ),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_asset_state")),
    )
    op.create_index(
        op.f("ix_asset_state_custodian_id_status"),
        "asset_state",
        ["custodian_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_asset_state_last_seen_at"), "asset_state", ["last_seen_at"], unique=False
    )
    op.create_index(
        op.f("ix_asset_state_site_id_zone_id_status"),
        "asset_state",
        ["site_id", "zone_id", "status"],
        unique=False,
    )
    op.create_table(
        "dispatch_lines",
        sa.Column("dispatch_id", sa.Text(), nullable=False),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_by", sa.Text(), nullable=True),
        sa.Column("returned_to_site_id", sa.Text(), nullable=True),
        sa.Column("turnaround_s", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_dispatch_lines_asset_id_assets")
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_dispatch_lines_dispatch_id_dispatches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["returned_by"],
            ["custodians.id"],
            name=op.f("fk_dispatch_lines_returned_by_custodians"),
        ),
        sa.ForeignKeyConstraint(
            ["returned_to_site_id"],
            ["sites.id"],
            name=op.f("fk_dispatch_lines_returned_to_site_id_sites"),
        ),
        sa.PrimaryKeyConstraint("dispatch_id", "asset_id", name=op.f("pk_dispatch_lines")),
    )
    op.create_index(
        op.f("ix_dispatch_lines_asset_id"),
        "dispatch_lines",
        ["asset_id"],
        unique=False,
        postgresql_where=sa.text("returned_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_dispatch_lines_asset_id"),
        table_name="dispatch_lines",
        postgresql_where=sa.text("returned_at IS NULL"),
    )
    op.drop_table("dispatch_lines")
    op.drop_index(op.f("ix_asset_state_site_id_zone_id_status"), table_name="asset_state")
    op.drop_index(op.f("ix_asset_state_last_seen_at"), table_name="asset_state")
    op.drop_index(op.f("ix_asset_state_custodian_id_status"), table_name="asset_state")
    op.drop_table("asset_state")
    op.drop_index(op.f("ix_unknown_tags_last_seen_at"), table_name="unknown_tags")
    op.drop_table("unknown_tags")
    op.drop_index(op.f("ix_read_points_zone_id"), table_name="read_points")
    op.drop_table("read_points")
    op.drop_index(
        op.f("ix_dispatches_expected_return_at"),
        table_name="dispatches",
        postgresql_where=sa.text("status = 'open'"),
    )
    op.drop_index(op.f("ix_dispatches_custodian_id"), table_name="dispatches")
    op.drop_table("dispatches")
    op.drop_index(op.f("ix_asset_identifiers_asset_id"), table_name="asset_identifiers")
    op.drop_table("asset_identifiers")
    op.drop_index(
        "uq_alerts_open_asset_kind",
        table_name="alerts",
        postgresql_where=sa.text("status <> 'resolved'"),
    )
    op.drop_index(op.f("ix_alerts_status_kind_raised_at"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_index(op.f("ix_zones_site_id"), table_name="zones")
    op.drop_table("zones")
    op.drop_index(
        op.f("ix_webhook_deliveries_next_attempt_at"),
        table_name="webhook_deliveries",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("webhook_deliveries")
    op.drop_table("custodians")
    op.drop_index(op.f("ix_assets_type_id"), table_name="assets")
    op.drop_index(op.f("ix_assets_home_site_id"), table_name="assets")
    op.drop_table("assets")
    op.drop_table("alert_rules")
    op.drop_table("webhooks")
    op.drop_table("sites")
    op.drop_index(
        op.f("ix_outbox_id"), table_name="outbox", postgresql_where=sa.text("dispatched_at IS NULL")
    )
    op.drop_table("outbox")
    op.drop_table("consumer_offsets")
    op.drop_table("asset_types")
    op.drop_index(op.f("ix_asset_events_occurred_at"), table_name="asset_events")
    op.drop_index(op.f("ix_asset_events_asset_id_occurred_at_id"), table_name="asset_events")
    op.drop_table("asset_events")
