"""asset_events: covering partial indexes of status changes and custody transfers, in the
order the value-stream report reads them (asset bytewise, then event time)

The report (tracker.reports.value_stream_sql) reads every status change of every asset in
that order. With these it merges index-only scans instead of scanning the whole table and
sorting 3.6M changes: 13.5 s → under 10 s at 10.8M events (bench/RESULTS.md). The price is
paid on writes: each appended status change or custody transfer also goes into one of them
(the ingest figures before and after are in bench/RESULTS.md).

Built CONCURRENTLY: asset_events is large and the ingest consumers append to it all the time.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, key columns after the asset, kind
_INDEXES = (
    ("ix_asset_events_status_changes", ["occurred_at", "id"], "asset_status_changed"),
    ("ix_asset_events_custody_transfers", ["occurred_at"], "custody_transferred"),
)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, columns, kind in _INDEXES:
            op.create_index(
                name,
                "asset_events",
                [sa.text('asset_id COLLATE "C"'), *columns],
                postgresql_include=["payload"],
                postgresql_where=sa.text(f"kind = '{kind}'"),
                postgresql_concurrently=True,
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name, _, _ in reversed(_INDEXES):
            op.drop_index(name, table_name="asset_events", postgresql_concurrently=True)
