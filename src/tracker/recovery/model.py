"""The words of recovery, and the facts about one case that its rules decide on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tracker.domain.model import require_aware


class Stage(StrEnum):
    """The step a case waits for (`tracker.recovery.rules.stage_of` works it out)."""

    intake = "intake"  # opened, nothing checked yet
    grading = "grading"  # checks being recorded, no grade yet
    sanitisation = "sanitisation"  # graded, data-bearing, no erasure certificate yet
    repair = "repair"  # graded repairable with no path chosen, or a repair order is open
    decision = "decision"  # graded: a path to choose, or chosen and waiting to be carried out
    done = "done"  # closed: the path was carried out


class ReturnCategory(StrEnum):
    end_of_lease = "end_of_lease"
    customer_return = "customer_return"
    delivery_refusal = "delivery_refusal"
    shipping_error = "shipping_error"
    product_failure = "product_failure"
    recall = "recall"
    damaged_in_use = "damaged_in_use"


class CheckKind(StrEnum):
    functional = "functional"
    cosmetic = "cosmetic"
    software_lock = "software_lock"  # activation / MDM / firmware lock released
    calibration = "calibration"
    decontamination = "decontamination"  # sterilisation or decontamination


class Grade(StrEnum):
    ready_to_redeploy = "ready_to_redeploy"
    repairable = "repairable"
    components_only = "components_only"
    disposal = "disposal"


class RecoveryPath(StrEnum):
    redeploy = "redeploy"  # back into our own pool: in_service
    resale = "resale"  # → retired
    parts = "parts"  # harvested for parts → retired
    recycling = "recycling"  # → retired


class ErasureMethod(StrEnum):
    overwrite = "overwrite"
    crypto_erase = "crypto_erase"
    physical_destruction = "physical_destruction"


class RepairOutcome(StrEnum):
    repaired = "repaired"
    unrepairable = "unrepairable"


class OpenedHow(StrEnum):
    rule = "rule"  # the asset type opens a case whenever one of its assets comes back
    manual = "manual"


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeRecovery:
    """What an asset type asks of recovery: the `recovery_*` and `data_bearing` columns of
    `asset_types` (set in a site file, `asset_types[].recovery`)."""

    data_bearing: bool = False
    # Checks that must have a recorded result before the case can be graded.
    required_checks: frozenset[CheckKind] = frozenset()
    open_on_return: bool = False
    # The category a case opened by rule gets.
    return_category: ReturnCategory | None = None

    def __post_init__(self) -> None:
        if self.open_on_return and self.return_category is None:
            raise ValueError("a type that opens cases on return needs a return_category")


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseFacts:
    """What the rules need to know about one case, read from its rows."""

    case_id: str
    asset_id: str
    rules: TypeRecovery = field(default_factory=TypeRecovery)
    closed: bool = False
    grade: Grade | None = None
    path: RecoveryPath | None = None
    # The latest result of each check recorded so far (True: passed).
    checks: dict[CheckKind, bool] = field(default_factory=dict)
    # An erasure certificate is on file for the case.
    certified: bool = False
    # Ids of its repair orders that are still open.
    open_repairs: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    check: CheckKind
    passed: bool
    notes: str | None = None


_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasureCertificate:
    """The proof that a data-bearing asset was wiped: the certificate's own id, the tool that
    made it, who ran it and when, and the SHA-256 of the certificate file (kept elsewhere)."""

    id: str
    method: ErasureMethod
    tool: str
    operator: str
    performed_at: datetime
    certificate_sha256: str

    def __post_init__(self) -> None:
        require_aware("performed_at", self.performed_at)
        digest = self.certificate_sha256
        if len(digest) != 64 or not set(digest) <= _HEX:
            raise ValueError("certificate_sha256 must be 64 lowercase hex digits")
        if not (self.id.strip() and self.tool.strip() and self.operator.strip()):
            raise ValueError("a certificate needs its id, tool and operator")
