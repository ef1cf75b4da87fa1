"""Custodians (who holds an asset) and dispatches (authorised shipments to a custodian)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from tracker.tables.metadata import created_at, metadata, one_of, updated_at

CUSTODIAN_KINDS = ("customer", "carrier", "site", "person")
DISPATCH_STATUSES = ("open", "closed", "cancelled")

custodians = Table(
    "custodians",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("site_id", Text, ForeignKey("sites.id"), nullable=True, comment="for kind = site"),
    Column("return_days", Integer, nullable=True, comment="return terms: days allowed out"),
    Column("contact", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column(
        "gln", Text, nullable=True, comment="GS1 party GLN, for EPCIS (possessing / owning party)"
    ),
    created_at(),
    updated_at(),
    CheckConstraint(one_of("kind", CUSTODIAN_KINDS), name="kind"),
)

dispatches = Table(
    "dispatches",
    metadata,
    Column("id", Text, primary_key=True),
    Column("custodian_id", Text, ForeignKey("custodians.id"), nullable=False, index=True),
    Column("from_site_id", Text, ForeignKey("sites.id"), nullable=False),
    Column("reference", Text, nullable=True),
    Column("expected_return_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False, server_default="open"),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    created_at(),
    updated_at(),
    CheckConstraint(one_of("status", DISPATCH_STATUSES), name="status"),
    Index(None, "expected_return_at", postgresql_where=text("status = 'open'")),
)

dispatch_lines = Table(
    "dispatch_lines",
    metadata,
    Column("dispatch_id", Text, ForeignKey("dispatches.id", ondelete="CASCADE"), primary_key=True),
    Column("asset_id", Text, ForeignKey("assets.id"), primary_key=True),
    Column("left_at", DateTime(timezone=True), nullable=True),
    Column("returned_at", DateTime(timezone=True), nullable=True),
    Column("returned_by", Text, ForeignKey("custodians.id"), nullable=True),
    Column("returned_to_site_id", Text, ForeignKey("sites.id"), nullable=True),
    Column("turnaround_s", BigInteger, nullable=True),
    # The consumer asks "which open dispatch line does this asset have?" on every pass.
    Index(None, "asset_id", postgresql_where=text("returned_at IS NULL")),
)
