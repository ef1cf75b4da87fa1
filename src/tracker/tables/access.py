"""API keys: who may call the API, with which scopes, limited to which sites."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY

from tracker.tables.metadata import created_at, metadata

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Text, primary_key=True, comment="public part of the key (tt_<id>_<secret>)"),
    Column("name", Text, nullable=False),
    # sha256 of the secret part; the secret itself is shown once, at creation, never stored.
    Column("secret_sha256", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("sites", ARRAY(Text), nullable=True, comment="NULL: every site"),
    created_at(),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
)
