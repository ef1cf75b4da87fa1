"""Audits: scheduled counts of a zone or site, fed by handheld `audit` scans."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Table, Text

from tracker.tables.metadata import metadata

audit_scans = Table(
    "audit_scans",
    metadata,
    # Every handheld scan with action "audit", whatever audit (if any) it belongs to: an audit
    # counts the scans made in its site/zone between its opening and its closing.
    Column("read_id", Text, primary_key=True),
    Column("asset_id", Text, nullable=False),
    Column("site_id", Text, nullable=False),
    Column("zone_id", Text, nullable=True),
    Column("device_id", Text, nullable=False),
    Column("operator", Text, nullable=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Index(None, "site_id", "seen_at"),
)
