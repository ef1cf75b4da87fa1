"""Recovery cases in PostgreSQL: opening (by hand, by rule in the sweep), the steps, reads.

Every step writes an `asset_events` row; status changes go through the tracker domain.
"""

from tracker.recovery.store.cases import (
    CaseFilter,
    UnknownCase,
    case_sites,
    get_case,
    list_cases,
    load_case,
    open_case_of,
    open_cases_by_stage,
)
from tracker.recovery.store.closing import close_case
from tracker.recovery.store.history import STEP_KINDS
from tracker.recovery.store.intake import CaseRequest, UnknownAsset, open_case, usage_at_intake
from tracker.recovery.store.returns import INTAKE_CURSOR, IntakeOutcome, open_cases_on_return
from tracker.recovery.store.steps import (
    UnknownRepair,
    close_repair_order,
    decide_path,
    grade_case,
    open_repair_order,
    record_certificate,
    record_checks,
)

__all__ = [
    "INTAKE_CURSOR",
    "STEP_KINDS",
    "CaseFilter",
    "CaseRequest",
    "IntakeOutcome",
    "UnknownAsset",
    "UnknownCase",
    "UnknownRepair",
    "case_sites",
    "close_case",
    "close_repair_order",
    "decide_path",
    "get_case",
    "grade_case",
    "list_cases",
    "load_case",
    "open_case",
    "open_case_of",
    "open_cases_by_stage",
    "open_cases_on_return",
    "open_repair_order",
    "record_certificate",
    "record_checks",
    "usage_at_intake",
]
