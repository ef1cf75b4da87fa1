"""recovery: cases, checks, erasure certificates, repair orders; recovery settings per asset
type; the cursor of the sweep step that opens cases when assets come back

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column[sa.DateTime]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _case_id(table: str) -> list[sa.Column[str] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["recovery_cases.id"],
            name=op.f(f"fk_{table}_case_id_recovery_cases"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    _asset_type_settings()
    op.create_table(
        "recovery_cases",
        sa.Column("id", sa.Text(), nullable=False, comment="rc_ + 12 lowercase hex"),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("stage", sa.Text(), nullable=False),
        sa.Column("return_category", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("condition_notes", sa.Text(), nullable=True),
        sa.Column("opened_how", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("custodian_id", sa.Text(), nullable=True),
        sa.Column("dispatch_id", sa.Text(), nullable=True),
        sa.Column("usage", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("grade", sa.Text(), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("graded_by", sa.Text(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column(
            "path_details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("value_recovered", sa.Numeric(12, 2), nullable=True),
        sa.Column("repair_cost", sa.Numeric(12, 2), server_default="0", nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint(
            "grade IN ('ready_to_redeploy', 'repairable', 'components_only', 'disposal')",
            name=op.f("ck_recovery_cases_grade"),
        ),
        sa.CheckConstraint(
            "opened_how IN ('rule', 'manual')", name=op.f("ck_recovery_cases_opened_how")
        ),
        sa.CheckConstraint(
            "path IN ('redeploy', 'resale', 'parts', 'recycling')",
            name=op.f("ck_recovery_cases_path"),
        ),
        sa.CheckConstraint(
            "return_category IN ('end_of_lease', 'customer_return', 'delivery_refusal', 'shipping_error', 'product_failure', 'recall', 'damaged_in_use')",
            name=op.f("ck_recovery_cases_return_category"),
        ),
        sa.CheckConstraint(
            "stage IN ('intake', 'grading', 'sanitisation', 'repair', 'decision', 'done')",
            name=op.f("ck_recovery_cases_stage"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_recovery_cases_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["custodian_id"],
            ["custodians.id"],
            name=op.f("fk_recovery_cases_custodian_id_custodians"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_cases")),
    )
    op.create_index(
        "uq_recovery_cases_open_asset",
        "recovery_cases",
        ["asset_id"],
        unique=True,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index(
        op.f("ix_recovery_cases_stage"),
        "recovery_cases",
        ["stage"],
        unique=False,
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_index(
        op.f("ix_recovery_cases_opened_at"), "recovery_cases", ["opened_at"], unique=False
    )
    _case_tables()
    op.create_table(
        "event_cursors",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_cursors")),
    )
    # Returns already in history open no cases: the rule applies from now on.
    op.execute(
        "INSERT INTO event_cursors (name, last_event_id) "
        "SELECT 'recovery_intake', COALESCE(max(id), 0) FROM asset_events"
    )


def _asset_type_settings() -> None:
    op.add_column(
        "asset_types",
        sa.Column(
            "recovery_checks",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
    )
    op.add_column(
        "asset_types",
        sa.Column("recovery_open_on_return", sa.Boolean(), server_default="false", nullable=False),
    )
    op.add_column("asset_types", sa.Column("recovery_return_category", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_asset_types_recovery_checks"),
        "asset_types",
        "recovery_checks <@ ARRAY['functional', 'cosmetic', 'software_lock', 'calibration', 'decontamination']::text[]",
    )
    op.create_check_constraint(
        op.f("ck_asset_types_recovery_return_category"),
        "asset_types",
        "recovery_return_category IN ('end_of_lease', 'customer_return', 'delivery_refusal', 'shipping_error', 'product_failure', 'recall', 'damaged_in_use')",
    )
    op.create_check_constraint(
        op.f("ck_asset_types_recovery_open_on_return"),
        "asset_types",
        "NOT recovery_open_on_return OR recovery_return_category IS NOT NULL",
    )


def _case_tables() -> None:
    op.create_table(
        "recovery_checks",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        *_case_id("recovery_checks"),
        sa.Column("check", sa.Text(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("checked_by", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "\"check\" IN ('functional', 'cosmetic', 'software_lock', 'calibration', 'decontamination')",
            name=op.f("ck_recovery_checks_check"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_checks")),
    )
    op.create_table(
        "erasure_certificates",
        sa.Column("id", sa.Text(), nullable=False, comment="the certificate's own id"),
        *_case_id("erasure_certificates"),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("tool", sa.Text(), nullable=False),
        sa.Column("operator", sa.Text(), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("certificate_sha256", sa.Text(), nullable=False),
        _now("created_at"),
        sa.CheckConstraint(
            "certificate_sha256 ~ '^[0-9a-f]{64}$'",
            name=op.f("ck_erasure_certificates_certificate_sha256"),
        ),
        sa.CheckConstraint(
            "method IN ('overwrite', 'crypto_erase', 'physical_destruction')",
            name=op.f("ck_erasure_certificates_method"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_certificates")),
    )
    op.create_table(
        "repair_orders",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        *_case_id("repair_orders"),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cost", sa.Numeric(12, 2), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "outcome IN ('repaired', 'unrepairable')", name=op.f("ck_repair_orders_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_orders")),
    )
    for table in ("recovery_checks", "erasure_certificates", "repair_orders"):
        op.create_index(op.f(f"ix_{table}_case_id"), table, ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_table("event_cursors")
    for table in ("repair_orders", "erasure_certificates", "recovery_checks"):
        op.drop_index(op.f(f"ix_{table}_case_id"), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f("ix_recovery_cases_opened_at"), table_name="recovery_cases")
    op.drop_index(op.f("ix_recovery_cases_stage"), table_name="recovery_cases")
    op.drop_index("uq_recovery_cases_open_asset", table_name="recovery_cases")
    op.drop_table("recovery_cases")
    for constraint in ("open_on_return", "return_category", "checks"):
        op.drop_constraint(op.f(f"ck_asset_types_recovery_{constraint}"), "asset_types")
    for column in ("return_category", "open_on_return", "checks"):
        op.drop_column("asset_types", f"recovery_{column}")
