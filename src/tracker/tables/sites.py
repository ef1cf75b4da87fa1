"""Sites, their zones, and the read points (reader + antenna) that watch each zone."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, Table, Text, UniqueConstraint

from tracker.tables.metadata import created_at, metadata, one_of, updated_at

ZONE_KINDS = ("dock", "storage", "yard", "repair", "quarantine", "external")
READ_POINT_ROLES = ("portal_inside", "portal_outside", "zone", "handheld")

sites = Table(
    "sites",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("gln", Text, nullable=True, comment="GS1 GLN of the site, for EPCIS"),
    Column("timezone", Text, nullable=False, server_default="UTC"),
    created_at(),
    updated_at(),
)

zones = Table(
    "zones",
    metadata,
    Column("id", Text, primary_key=True),
    Column("site_id", Text, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("sgln", Text, nullable=True, comment="SGLN URI of the zone, for EPCIS"),
    created_at(),
    updated_at(),
    CheckConstraint(one_of("kind", ZONE_KINDS), name="kind"),
)

read_points = Table(
    "read_points",
    metadata,
    Column("id", Text, primary_key=True),
    Column("reader_id", Text, nullable=False),
    # NULL: every antenna of the reader (a handheld, or a single-zone reader).
    Column("antenna", Integer, nullable=True),
    Column("zone_id", Text, ForeignKey("zones.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("role", Text, nullable=False),
    Column("door", Text, nullable=True, comment="dock door that pairs an inside and an outside"),
    created_at(),
    updated_at(),
    CheckConstraint(one_of("role", READ_POINT_ROLES), name="role"),
    CheckConstraint("antenna IS NULL OR antenna >= 0", name="antenna"),
    UniqueConstraint("reader_id", "antenna", postgresql_nulls_not_distinct=True),
)
