"""asset_identifiers: an index in the EPCIS export's preferred-identifier order, so each
event's identifier lookup (tracker.epcis.store._ROWS, IDENTIFIER_ORDER) is one index-only
scan that reads the first entry, with no heap access and no sort

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "ix_asset_identifiers_preferred"


def upgrade() -> None:
    op.create_index(
        _NAME,
        "asset_identifiers",
        [
            "asset_id",
            sa.text("(CASE scheme WHEN 'epc' THEN 0 WHEN 'gs1' THEN 1 ELSE 2 END)"),
            "value",
        ],
        postgresql_include=["scheme"],
    )


def downgrade() -> None:
    op.drop_index(_NAME, table_name="asset_identifiers")
