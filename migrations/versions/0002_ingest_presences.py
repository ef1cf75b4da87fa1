"""ingest: presences, partition watermarks, custody columns of asset_state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 04:46:28.750811
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presences",
        sa.Column("group_id", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "topic", "partition", "key", name=op.f("pk_presences")),
    )
    op.add_column(
        "asset_state", sa.Column("custody_since", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "asset_state", sa.Column("return_due_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "consumer_offsets",
        sa.Column("watermark_us", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("consumer_offsets", "watermark_us")
    op.drop_table("presences")
    op.drop_column("asset_state", "return_due_at")
    op.drop_column("asset_state", "custody_since")
