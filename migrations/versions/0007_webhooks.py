"""webhook delivery log, one delivery per (subscription, outbox row), delivery statuses

Revision ID: 0007
Revises: 0010
Create Date: 2026-11-24 05:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_unique_constraint(
        op.f("uq_webhook_deliveries_webhook_id_outbox_id"),
        "webhook_deliveries",
        ["webhook_id", "outbox_id"],
    )
    op.create_check_constraint(
        op.f("ck_webhook_deliveries_status"),
        "webhook_deliveries",
        "status IN ('pending', 'delivered', 'failed', 'cancelled')",
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_webhook_attempts_delivery_id_attempt"),
        "webhook_attempts",
        ["delivery_id", "attempt"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_attempts_delivery_id_attempt"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_constraint(op.f("ck_webhook_deliveries_status"), "webhook_deliveries", type_="check")
    op.drop_constraint(
        op.f("uq_webhook_deliveries_webhook_id_outbox_id"), "webhook_deliveries", type_="unique"
    )
