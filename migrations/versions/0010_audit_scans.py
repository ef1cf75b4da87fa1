"""audit scans: every handheld audit scan, for audits to count

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-24 05:32:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_scans",
        sa.Column("read_id", sa.Text(), nullable=False),
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("site_id", sa.Text(), nullable=False),
        sa.Column("zone_id", sa.Text(), nullable=True),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("operator", sa.Text(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("read_id", name=op.f("pk_audit_scans")),
    )
    op.create_index(
        op.f("ix_audit_scans_site_id_seen_at"),
        "audit_scans",
        ["site_id", "seen_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_audit_scans_site_id_seen_at"), table_name="audit_scans")
    op.drop_table("audit_scans")
