"""epcis capture log: outcome `registered` (an ADD of another tagtrail registered the asset)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "epcis_captured_events"
_NAME = "ck_epcis_captured_events_outcome"


def upgrade() -> None:
    op.drop_constraint(op.f(_NAME), _TABLE, type_="check")
    op.create_check_constraint(
        op.f(_NAME), _TABLE, "outcome IN ('observed', 'stored', 'registered')"
    )


def downgrade() -> None:
    # A registration stays in the log as what it is on disk without the word: stored.
    op.execute(f"UPDATE {_TABLE} SET outcome = 'stored' WHERE outcome = 'registered'")
    op.drop_constraint(op.f(_NAME), _TABLE, type_="check")
    op.create_check_constraint(op.f(_NAME), _TABLE, "outcome IN ('observed', 'stored')")
