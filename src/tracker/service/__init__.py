"""Service and life: service/calibration/repair/inspection records, next due dates, and the
assets due for service or replacement. The sweeper raises the matching alerts."""

from tracker.service.due import AGE_LIMIT_SQL, DueAsset, DueFor, assets_due
from tracker.service.records import (
    LATEST_RECORD_SQL,
    NEXT_DUE_SQL,
    RecordedService,
    ServiceEntry,
    ServiceKind,
    UnknownAsset,
    next_due_at,
    record_service,
)

__all__ = [
    "AGE_LIMIT_SQL",
    "LATEST_RECORD_SQL",
    "NEXT_DUE_SQL",
    "DueAsset",
    "DueFor",
    "RecordedService",
    "ServiceEntry",
    "ServiceKind",
    "UnknownAsset",
    "assets_due",
    "next_due_at",
    "record_service",
]
