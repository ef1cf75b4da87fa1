"""What the recovery routes take and answer (api.recovery)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from api.registry import Money, Note, Who, Words
from tracker.recovery import (
    CheckKind,
    Decision,
    ErasureMethod,
    Grade,
    OpenedHow,
    Part,
    Parts,
    RecoveryPath,
    Recycling,
    Redeploy,
    RepairOutcome,
    Resale,
    ReturnCategory,
    Stage,
)

# Certificates are small PDFs or JSON; 8 MiB of base64 is ~6 MiB of file.
MAX_CERTIFICATE_BASE64 = 8 * 1024 * 1024
_EXAMPLE_SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Asset ids may predate today's id rules (an import): only what the database cannot take.
AssetRef = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_no_nul)]


class UsagePublic(BaseModel):
    trips: int
    days_out: float = Field(description="days spent out on dispatches, summed over its returns")
    custodians: list[str] = Field(description="custodians it went to, in order of first trip")
    last_service_at: datetime | None
    last_calibration_at: datetime | None


class CheckPublic(BaseModel):
    id: int
    check: CheckKind
    passed: bool
    notes: str | None
    checked_by: str
    checked_at: datetime


class CertificatePublic(BaseModel):
    id: str
    method: ErasureMethod
    tool: str
    operator: str
    performed_at: datetime
    certificate_sha256: str
    created_at: datetime


class RepairPublic(BaseModel):
    id: int
    description: str
    cost: Decimal
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str | None
    outcome: RepairOutcome | None


class CasePublic(BaseModel):
    id: str
    asset_id: str
    type_id: str
    site_id: str = Field(description="where the asset is now (its home site while away)")
    home_site_id: str
    stage: Stage
    return_category: ReturnCategory
    reason: str | None
    condition_notes: str | None
    opened_how: OpenedHow
    opened_by: str
    opened_at: datetime
    custodian_id: str | None = Field(description="who had the asset before it came back")
    dispatch_id: str | None = Field(description="the dispatch it came back from")
    grade: Grade | None
    graded_at: datetime | None
    graded_by: str | None
    path: RecoveryPath | None
    path_details: dict[str, Any]
    value_recovered: Decimal | None
    repair_cost: Decimal
    decided_at: datetime | None
    decided_by: str | None
    closed_at: datetime | None
    closed_by: str | None


class CaseDetail(CasePublic):
    data_bearing: bool
    required_checks: list[CheckKind] = Field(description="the asset type's, before grading")
    usage: UsagePublic = Field(description="as at intake")
    checks: list[CheckPublic]
    certificates: list[CertificatePublic]
    repairs: list[RepairPublic]
    outstanding: list[str] = Field(description="what is left to do, in order")


class CasePage(BaseModel):
    items: list[CasePublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")


class StageCount(BaseModel):
    stage: Stage
    open_cases: int
    by_category: dict[str, int]


def _strict(*examples: dict[str, Any]) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(examples)})


class CaseOpen(BaseModel):
    model_config = _strict(
        {
            "asset_id": "dc1-crate-1000",
            "return_category": "damaged_in_use",
            "reason": "lid hinge broken",
            "condition_notes": "scuffed on two sides",
            "by": "ana@dc1",
        },
        {
            "identifier": "(8003)00614141123452400",
            "return_category": "customer_return",
            "by": "ana@dc1",
        },
    )
    asset_id: AssetRef | None = None
    identifier: AssetRef | None = Field(
        default=None,
        description="instead of asset_id: any of its identifiers (EPC, GS1 barcode, serial)",
    )
    return_category: ReturnCategory
    reason: Words | None = None
    condition_notes: Note | None = None
    by: Who

    @model_validator(mode="after")
    def _one_asset(self) -> CaseOpen:
        if (self.asset_id is None) == (self.identifier is None):
            raise ValueError("give asset_id or identifier (one of them)")
        return self


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    check: CheckKind
    passed: bool
    notes: Note | None = None


class ChecksRecord(BaseModel):
    model_config = _strict(
        {
            "checks": [
                {"check": "functional", "passed": True},
                {"check": "cosmetic", "passed": False, "notes": "deep scratch on the lid"},
            ],
            "by": "ana@dc1",
        }
    )
    checks: Annotated[list[CheckIn], Field(min_length=1, max_length=10)]
    by: Who


class GradeIn(BaseModel):
    model_config = _strict({"grade": "ready_to_redeploy", "by": "ana@dc1"})
    grade: Grade
    by: Who


class CertificateIn(BaseModel):
    model_config = _strict(
        {
            "id": "BL-2026-000123",
            "method": "crypto_erase",
            "tool": "Blancco Drive Eraser 7.9",
            "operator": "ana@dc1",
            "performed_at": "2026-11-24T09:40:00+01:00",
            "certificate_sha256": _EXAMPLE_SHA256,
        },
        {
            "id": "BL-2026-000124",
            "method": "overwrite",
            "tool": "nwipe 0.36",
            "operator": "ana@dc1",
            "performed_at": "2026-11-24T10:05:00+01:00",
            "certificate_base64": "eyJyZXN1bHQiOiAiZXJhc2VkIn0=",
        },
    )
    id: Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_no_nul)]
    method: ErasureMethod
    tool: Words
    operator: Who
    performed_at: AwareDatetime
    certificate_sha256: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")] | None = Field(
        default=None, description="SHA-256 of the certificate file, hex"
    )
    certificate_base64: Annotated[str, Field(max_length=MAX_CERTIFICATE_BASE64)] | None = Field(
        default=None, description="instead of certificate_sha256: the file, to be hashed"
    )

    @model_validator(mode="after")
    def _one_proof(self) -> CertificateIn:
        if (self.certificate_sha256 is None) == (self.certificate_base64 is None):
            raise ValueError("give certificate_sha256 or certificate_base64 (one of them)")
        return self


class RepairOpen(BaseModel):
    model_config = _strict({"description": "replace lid hinge", "cost": "4.80", "by": "ana@dc1"})
    description: Words
    cost: Money = Field(description="estimated; the final cost may be given at closing")
    by: Who


class RepairClose(BaseModel):
    model_config = _strict({"outcome": "repaired", "by": "ana@dc1", "cost": "5.20"})
    outcome: RepairOutcome
    by: Who
    cost: Money | None = None


class PartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    part: Words
    value: Money


class RedeployIn(BaseModel):
    model_config = _strict({"path": "redeploy", "by": "ana@dc1"})
    path: Literal["redeploy"]
    by: Who
    note: Note | None = None


class ResaleIn(BaseModel):
    model_config = _strict(
        {"path": "resale", "by": "ana@dc1", "price": "320.00", "channel": "refurb-marketplace"}
    )
    path: Literal["resale"]
    by: Who
    price: Money
    channel: Words


class PartsIn(BaseModel):
    model_config = _strict(
        {
            "path": "parts",
            "by": "ana@dc1",
            "parts": [
                {"part": "battery", "value": "35.00"},
                {"part": "scan engine", "value": "80.00"},
            ],
        }
    )
    path: Literal["parts"]
    by: Who
    parts: Annotated[list[PartIn], Field(min_length=1, max_length=100)]


class RecyclingIn(BaseModel):
    model_config = _strict(
        {
            "path": "recycling",
            "by": "ana@dc1",
            "weight_kg": "2.4",
            "vendor": "GreenCycle BV",
            "certificate": "GC-2026-7781",
        }
    )
    path: Literal["recycling"]
    by: Who
    weight_kg: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=3)]
    vendor: Words
    certificate: Words | None = Field(default=None, description="the recycler's certificate id")
    proceeds: Money = Field(default=Decimal(0), description="what the recycler paid, if any")


DecisionIn = Annotated[RedeployIn | ResaleIn | PartsIn | RecyclingIn, Field(discriminator="path")]


def decision_of(body: RedeployIn | ResaleIn | PartsIn | RecyclingIn) -> Decision:
    match body:
        case RedeployIn():
            return Redeploy(note=body.note)
        case ResaleIn():
            return Resale(price=body.price, channel=body.channel)
        case PartsIn():
            return Parts(parts=tuple(Part(p.part, p.value) for p in body.parts))
        case RecyclingIn():
            return Recycling(
                weight_kg=body.weight_kg,
                vendor=body.vendor,
                certificate=body.certificate,
                proceeds=body.proceeds,
            )


class CaseClose(BaseModel):
    model_config = _strict({"by": "ana@dc1"})
    by: Who
