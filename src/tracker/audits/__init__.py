"""Audits: scheduled counts of a site or zone, fed by handheld `audit` scans (audit_scans)."""

from tracker.audits.counts import (
    AuditRefused,
    AuditReport,
    AuditSummary,
    audit_observation_id,
    close_audit,
    list_audits,
    open_audit,
)

__all__ = [
    "AuditRefused",
    "AuditReport",
    "AuditSummary",
    "audit_observation_id",
    "close_audit",
    "list_audits",
    "open_audit",
]
