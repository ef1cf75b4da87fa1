"""custodians: an optional GS1 party GLN, so EPCIS events name a custodian by its PGLN

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COMMENT = "GS1 party GLN, for EPCIS (possessing / owning party)"


def upgrade() -> None:
    op.add_column("custodians", sa.Column("gln", sa.Text(), nullable=True, comment=_COMMENT))


def downgrade() -> None:
    op.drop_column("custodians", "gln")
