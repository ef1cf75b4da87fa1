"""Reading and writing the tracker's tables in batches (asyncpg through SQLAlchemy Core)."""

from tracker.store.audits import AuditScan, record_audit_scans
from tracker.store.loads import (
    ReadPointRecord,
    load_open_dispatches,
    load_read_points,
    load_states,
    read_points_version,
    resolve_tags,
    site_custodian_id,
)
from tracker.store.lookups import scan_results
from tracker.store.registry import Enrolment, enrol
from tracker.store.unknown import UnknownTagSeen, record_unknown_tags
from tracker.store.writes import OUTBOX_KINDS, BatchWrites, save

__all__ = [
    "OUTBOX_KINDS",
    "AuditScan",
    "BatchWrites",
    "Enrolment",
    "ReadPointRecord",
    "UnknownTagSeen",
    "enrol",
    "load_open_dispatches",
    "load_read_points",
    "load_states",
    "read_points_version",
    "record_audit_scans",
    "record_unknown_tags",
    "resolve_tags",
    "save",
    "scan_results",
    "site_custodian_id",
]
