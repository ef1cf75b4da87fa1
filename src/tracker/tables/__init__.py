"""tagtrail's PostgreSQL tables (SQLAlchemy Core). The schema itself changes only by Alembic."""

from tracker.tables.access import api_keys
from tracker.tables.audits import audit_scans
from tracker.tables.custody import custodians, dispatch_lines, dispatches
from tracker.tables.epcis_capture import epcis_capture_jobs, epcis_captured_events
from tracker.tables.lifecycle_records import audit_expected, audits, service_records
from tracker.tables.metadata import metadata
from tracker.tables.plumbing import (
    consumer_offsets,
    idempotency_keys,
    outbox,
    presences,
    webhook_attempts,
    webhook_deliveries,
    webhooks,
)
from tracker.tables.readers import reader_health
from tracker.tables.recovery import (
    erasure_certificates,
    event_cursors,
    recovery_cases,
    recovery_checks,
    repair_orders,
)
from tracker.tables.registry import asset_identifiers, asset_types, assets
from tracker.tables.sites import read_points, sites, zones
from tracker.tables.state import alert_rules, alerts, asset_events, asset_state, unknown_tags

__all__ = [
    "alert_rules",
    "alerts",
    "api_keys",
    "asset_events",
    "asset_identifiers",
    "asset_state",
    "asset_types",
    "assets",
    "audit_expected",
    "audit_scans",
    "audits",
    "consumer_offsets",
    "custodians",
    "dispatch_lines",
    "dispatches",
    "epcis_capture_jobs",
    "epcis_captured_events",
    "erasure_certificates",
    "event_cursors",
    "idempotency_keys",
    "metadata",
    "outbox",
    "presences",
    "read_points",
    "reader_health",
    "recovery_cases",
    "recovery_checks",
    "repair_orders",
    "service_records",
    "sites",
    "unknown_tags",
    "webhook_attempts",
    "webhook_deliveries",
    "webhooks",
    "zones",
]
