"""every asset has an asset_state row from its registration on; list indexes end in asset_id

Before, an asset that was never observed had no state row and every reader of state
defaulted it (`COALESCE(s.status, 'in_service')`, home site). A filtered list then had to
filter on those expressions over `assets LEFT JOIN asset_state`, which no index serves: at
a million assets one page took seconds. Now a statement-level trigger gives each new asset
its default row (in service, at home, in its site's custody) in the inserting statement,
whatever wrote it (the registry import's COPY-fed merge, the API, enrolment, a seed), and
the filters are plain column comparisons with indexes that also yield asset_id order.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 07:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DEFAULT_ROWS = """
INSERT INTO asset_state (asset_id, status, site_id, custodian_id)
SELECT a.id, CASE WHEN a.retired_at IS NULL THEN 'in_service' ELSE 'retired' END,
       a.home_site_id, 'site:' || a.home_site_id
FROM {source} a
{where}
ORDER BY a.id
ON CONFLICT (asset_id) DO NOTHING
"""


def upgrade() -> None:
    op.execute(
        _DEFAULT_ROWS.format(
            source="assets",
            where="WHERE NOT EXISTS (SELECT 1 FROM asset_state s WHERE s.asset_id = a.id)",
        )
    )
    op.execute(f"""
        CREATE FUNCTION tagtrail_default_asset_state() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {_DEFAULT_ROWS.format(source="registered", where="")};
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER assets_default_state AFTER INSERT ON assets
        REFERENCING NEW TABLE AS registered
        FOR EACH STATEMENT EXECUTE FUNCTION tagtrail_default_asset_state()
    """)
    op.drop_index(op.f("ix_asset_state_site_id_zone_id_status"), table_name="asset_state")
    op.drop_index(op.f("ix_asset_state_custodian_id_status"), table_name="asset_state")
    op.create_index(
        op.f("ix_asset_state_site_id_status_asset_id"),
        "asset_state",
        ["site_id", "status", "asset_id"],
    )
    op.create_index(
        op.f("ix_asset_state_custodian_id_status_asset_id"),
        "asset_state",
        ["custodian_id", "status", "asset_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_state_custodian_id_status_asset_id"), table_name="asset_state")
    op.drop_index(op.f("ix_asset_state_site_id_status_asset_id"), table_name="asset_state")
    op.create_index(
        op.f("ix_asset_state_custodian_id_status"), "asset_state", ["custodian_id", "status"]
    )
    op.create_index(
        op.f("ix_asset_state_site_id_zone_id_status"),
        "asset_state",
        ["site_id", "zone_id", "status"],
    )
    op.execute("DROP TRIGGER assets_default_state ON assets")
    op.execute("DROP FUNCTION tagtrail_default_asset_state()")
    # The default rows stay: they say what readers defaulted to anyway.
