"""The asset registry: types, assets, and the identifiers that resolve reads to assets."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from tracker.tables.metadata import created_at, metadata, one_of, updated_at
from tracker.tables.recovery import CHECK_KINDS, RETURN_CATEGORIES

IDENTIFIER_SCHEMES = ("epc", "epc_hex", "gs1", "serial")

asset_types = Table(
    "asset_types",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("replacement_value", Numeric(12, 2), nullable=False, server_default="0"),
    Column("currency", Text, nullable=False, server_default="EUR"),
    Column("expected_cycle_days", Integer, nullable=True),
    Column("data_bearing", Boolean, nullable=False, server_default="false"),
    Column("service_interval_days", Integer, nullable=True),
    Column("max_trips", Integer, nullable=True),
    Column("max_age_days", Integer, nullable=True),
    Column("storage_zone_kind", Text, nullable=True),
    # Recovery (tracker.recovery): checks required before grading, and whether a case opens
    # by itself when an asset of the type comes back, with which return category.
    Column("recovery_checks", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("recovery_open_on_return", Boolean, nullable=False, server_default="false"),
    Column("recovery_return_category", Text, nullable=True),
    created_at(),
    updated_at(),
    CheckConstraint(
        "recovery_checks <@ ARRAY[{}]::text[]".format(", ".join(f"'{c}'" for c in CHECK_KINDS)),
        name="recovery_checks",
    ),
    CheckConstraint(
        one_of("recovery_return_category", RETURN_CATEGORIES), name="recovery_return_category"
    ),
    CheckConstraint(
        "NOT recovery_open_on_return OR recovery_return_category IS NOT NULL",
        name="recovery_open_on_return",
    ),
)

assets = Table(
    "assets",
    metadata,
    Column("id", Text, primary_key=True),
    Column("type_id", Text, ForeignKey("asset_types.id"), nullable=False, index=True),
    Column("home_site_id", Text, ForeignKey("sites.id"), nullable=False, index=True),
    Column("owner", Text, nullable=True),
    Column("value", Numeric(12, 2), nullable=True, comment="overrides the type's value"),
    Column("attributes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("commissioned_at", DateTime(timezone=True), nullable=True),
    Column("retired_at", DateTime(timezone=True), nullable=True),
    created_at(),
    updated_at(),
)

asset_identifiers = Table(
    "asset_identifiers",
    metadata,
    # Stored in canonical form (tracker.identity), so a read's canonical tag is the lookup key
    # and the RFID tag and the printed barcode of one crate find the same asset.
    Column("value", Text, primary_key=True),
    Column("scheme", Text, nullable=False),
    Column("asset_id", Text, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    created_at(),
    CheckConstraint(one_of("scheme", IDENTIFIER_SCHEMES), name="scheme"),
    Index(None, "asset_id"),
    # The EPCIS export's preferred identifier of an asset (tracker.epcis.store's
    # IDENTIFIER_ORDER) as the first entry of an index-only scan: no heap access, no sort.
    Index(
        "ix_asset_identifiers_preferred",
        "asset_id",
        # Laid out as PostgreSQL prints it back (Alembic's comparison drops spaces, not
        # newlines), so autogenerate sees the index it made.
        text("(\nCASE scheme\n    WHEN 'epc' THEN 0\n    WHEN 'gs1' THEN 1\n    ELSE 2\nEND)"),
        "value",
        postgresql_include=["scheme"],
    ),
)
