"""Recovery: what happens to an asset after it comes back — intake, grading, data
sanitisation, repair, a decision on its path (redeploy, resale, parts, recycling) and closing.

The rules here are pure (`rules`, `paths`, `usage`); `tracker.recovery.store` persists them.
"""

from tracker.recovery.model import (
    CaseFacts,
    CheckKind,
    CheckResult,
    ErasureCertificate,
    ErasureMethod,
    Grade,
    OpenedHow,
    RecoveryPath,
    RepairOutcome,
    ReturnCategory,
    Stage,
    TypeRecovery,
)
from tracker.recovery.paths import (
    Decision,
    Part,
    Parts,
    Recycling,
    Redeploy,
    Resale,
    carry_out,
    details_of,
    status_after,
    value_recovered,
)
from tracker.recovery.rules import (
    PATHS_BY_GRADE,
    SANITISED_PATHS,
    RecoveryRefused,
    SanitisationRequired,
    outstanding,
    stage_of,
)
from tracker.recovery.usage import Trip, Usage, summarise_usage

__all__ = [
    "PATHS_BY_GRADE",
    "SANITISED_PATHS",
    "CaseFacts",
    "CheckKind",
    "CheckResult",
    "Decision",
    "ErasureCertificate",
    "ErasureMethod",
    "Grade",
    "OpenedHow",
    "Part",
    "Parts",
    "RecoveryPath",
    "RecoveryRefused",
    "Recycling",
    "Redeploy",
    "RepairOutcome",
    "Resale",
    "ReturnCategory",
    "SanitisationRequired",
    "Stage",
    "Trip",
    "TypeRecovery",
    "Usage",
    "carry_out",
    "details_of",
    "outstanding",
    "stage_of",
    "status_after",
    "summarise_usage",
    "value_recovered",
]
