"""readers: reader_health, the live state of each fixed reader's adapter

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-24 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reader_health",
        sa.Column("reader_id", sa.Text(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reads_per_s", sa.Double(), server_default="0", nullable=False),
        sa.Column(
            "host",
            sa.Text(),
            nullable=False,
            comment="the reader's address, as the adapter dials it",
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("reads_per_s >= 0", name=op.f("ck_reader_health_reads_per_s")),
        sa.PrimaryKeyConstraint("reader_id", name=op.f("pk_reader_health")),
    )


def downgrade() -> None:
    op.drop_table("reader_health")
