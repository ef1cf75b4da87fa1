"""epcis capture: capture jobs and the log of captured events (eventID unique)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "epcis_capture_jobs",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=True, comment="the API key that captured"),
        sa.Column("status", sa.Text(), server_default="running", nullable=False),
        sa.Column("error_behaviour", sa.Text(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), server_default="0", nullable=False),
        sa.Column("duplicates", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "errors",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
            comment="[{eventIndex, eventID, reason}]",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'success', 'errors')", name=op.f("ck_epcis_capture_jobs_status")
        ),
        sa.CheckConstraint(
            "error_behaviour IN ('rollback', 'proceed')",
            name=op.f("ck_epcis_capture_jobs_error_behaviour"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_capture_jobs")),
    )
    op.create_table(
        "epcis_captured_events",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("job_id", sa.Text(), nullable=False),
        sa.Column("event_index", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("biz_step", sa.Text(), nullable=True),
        sa.Column("disposition", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True, comment="bizLocation, else readPoint"),
        sa.Column(
            "epcs",
            postgresql.ARRAY(sa.Text()),
            nullable=False,
            comment="canonical tags of the event's EPCs",
        ),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column(
            "event",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            comment="the event as captured",
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "outcome IN ('observed', 'stored')", name=op.f("ck_epcis_captured_events_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["epcis_capture_jobs.id"],
            name=op.f("fk_epcis_captured_events_job_id_epcis_capture_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_epcis_captured_events")),
    )
    op.create_index(
        op.f("ix_epcis_captured_events_event_time"),
        "epcis_captured_events",
        ["event_time"],
        unique=False,
    )
    op.create_index(
        op.f("ix_epcis_captured_events_job_id"), "epcis_captured_events", ["job_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_epcis_captured_events_job_id"), table_name="epcis_captured_events")
    op.drop_index(op.f("ix_epcis_captured_events_event_time"), table_name="epcis_captured_events")
    op.drop_table("epcis_captured_events")
    op.drop_table("epcis_capture_jobs")
