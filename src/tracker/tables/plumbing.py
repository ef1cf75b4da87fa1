"""Tables that carry work between processes: consumer offsets, the outbox, webhooks."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from tracker.tables.metadata import created_at, metadata, one_of

consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    # Written in the same transaction as the state derived from the messages before it: this
    # is what makes the consumer exactly-once (DESIGN.md).
    Column("group_id", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", BigInteger, nullable=False),
    # The partition's event-time watermark (µs): smoothing advances only with the data, so a
    # replay from next_offset reaches the same decisions.
    Column("watermark_us", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    PrimaryKeyConstraint("group_id", "topic", "partition"),
)

presences = Table(
    "presences",
    metadata,
    # The smoother's open presences and door visits of one partition, saved with the offsets:
    # the in-memory smoother is a cache of these rows.
    Column("group_id", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("key", Text, nullable=False),
    # Set at the first insert and never updated: the smoother is restored in the order its
    # windows were created, which is what its per-tag chains depend on.
    Column("seq", BigInteger, Identity(always=False), nullable=False),
    Column("state", JSONB, nullable=False),
    PrimaryKeyConstraint("group_id", "topic", "partition", "key"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("event_kind", Text, nullable=False),
    Column("asset_event_id", BigInteger, nullable=True),
    Column("payload", JSONB, nullable=False),
    created_at(),
    Column("dispatched_at", DateTime(timezone=True), nullable=True),
    Index(None, "id", postgresql_where=text("dispatched_at IS NULL")),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("event_kinds", ARRAY(Text), nullable=False),
    Column("active", Boolean, nullable=False, server_default="true"),
    created_at(),
)

# cancelled: the subscription was removed before the event got through.
DELIVERY_STATUSES = ("pending", "delivered", "failed", "cancelled")

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column("webhook_id", BigInteger, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("outbox_id", BigInteger, ForeignKey("outbox.id", ondelete="CASCADE"), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("status", Text, nullable=False, server_default="pending"),
    Column(
        "next_attempt_at", DateTime(timezone=True), nullable=False, server_default=text("now()")
    ),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    Index(None, "next_attempt_at", postgresql_where=text("status = 'pending'")),
    CheckConstraint(one_of("status", DELIVERY_STATUSES), name="status"),
    # Fan-out may meet an outbox row twice (a retried batch): one delivery per subscription.
    UniqueConstraint("webhook_id", "outbox_id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    # The delivery log: one row per POST, whatever came of it (webhook_deliveries keeps only
    # the last outcome).
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    Column(
        "delivery_id",
        BigInteger,
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempt", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    # When the delivery is due again; NULL when this attempt ended it (delivered or failed).
    Column("retry_at", DateTime(timezone=True), nullable=True),
    Index(None, "delivery_id", "attempt"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # A retried request with the same key gets the first answer and publishes nothing new;
    # status_code NULL while the first request is still in flight.
    Column("key", Text, primary_key=True),
    Column("request_sha256", Text, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("response", JSONB, nullable=True),
    created_at(),
    Index(None, "created_at"),
)
