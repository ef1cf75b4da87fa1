"""Recovery: a case per returned asset (intake → grading → sanitisation → repair → decision →
done), its checks, erasure certificates and repair orders. The words allowed in each column
are those of `tracker.recovery.model`."""

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
    Numeric,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from tracker.tables.metadata import created_at, metadata, one_of, updated_at

RECOVERY_STAGES = ("intake", "grading", "sanitisation", "repair", "decision", "done")
RETURN_CATEGORIES = (
    "end_of_lease",
    "customer_return",
    "delivery_refusal",
    "shipping_error",
    "product_failure",
    "recall",
    "damaged_in_use",
)
OPENED_HOW = ("rule", "manual")
GRADES = ("ready_to_redeploy", "repairable", "components_only", "disposal")
RECOVERY_PATHS = ("redeploy", "resale", "parts", "recycling")
CHECK_KINDS = ("functional", "cosmetic", "software_lock", "calibration", "decontamination")
ERASURE_METHODS = ("overwrite", "crypto_erase", "physical_destruction")
REPAIR_OUTCOMES = ("repaired", "unrepairable")


def _case_id() -> Column[object]:
    return Column(
        "case_id",
        Text,
        ForeignKey("recovery_cases.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


recovery_cases = Table(
    "recovery_cases",
    metadata,
    Column("id", Text, primary_key=True, comment="rc_ + 12 lowercase hex"),
    Column("asset_id", Text, ForeignKey("assets.id", ondelete="CASCADE"), nullable=False),
    Column("stage", Text, nullable=False),
    Column("return_category", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("condition_notes", Text, nullable=True),
    Column("opened_how", Text, nullable=False),
    Column("opened_by", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    # Who had the asset before it came back, and the dispatch it came back from.
    Column("custodian_id", Text, ForeignKey("custodians.id"), nullable=True),
    Column("dispatch_id", Text, nullable=True),
    # trips, days_out, custodians, last_service_at, last_calibration_at: as at intake.
    Column("usage", JSONB, nullable=False),
    Column("grade", Text, nullable=True),
    Column("graded_at", DateTime(timezone=True), nullable=True),
    Column("graded_by", Text, nullable=True),
    Column("path", Text, nullable=True),
    Column("path_details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("value_recovered", Numeric(12, 2), nullable=True),
    Column("repair_cost", Numeric(12, 2), nullable=False, server_default="0"),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", Text, nullable=True),
    # Set when the path was carried out (the asset redeployed or retired): stage done.
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("closed_by", Text, nullable=True),
    created_at(),
    updated_at(),
    CheckConstraint(one_of("stage", RECOVERY_STAGES), name="stage"),
    CheckConstraint(one_of("return_category", RETURN_CATEGORIES), name="return_category"),
    CheckConstraint(one_of("opened_how", OPENED_HOW), name="opened_how"),
    CheckConstraint(one_of("grade", GRADES), name="grade"),
    CheckConstraint(one_of("path", RECOVERY_PATHS), name="path"),
    # One open case per asset: a rule and an operator opening at once cannot both win.
    Index(
        "uq_recovery_cases_open_asset",
        "asset_id",
        unique=True,
        postgresql_where=text("closed_at IS NULL"),
    ),
    Index(None, "stage", postgresql_where=text("closed_at IS NULL")),
    Index(None, "opened_at"),
)

recovery_checks = Table(
    "recovery_checks",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    _case_id(),
    Column("check", Text, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("notes", Text, nullable=True),
    Column("checked_by", Text, nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    # `check` is a reserved word: quoted here, and in every statement that names it.
    CheckConstraint(one_of('"check"', CHECK_KINDS), name="check"),
)

erasure_certificates = Table(
    "erasure_certificates",
    metadata,
    Column("id", Text, primary_key=True, comment="the certificate's own id"),
    _case_id(),
    Column("asset_id", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("tool", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("performed_at", DateTime(timezone=True), nullable=False),
    # The certificate file itself is kept elsewhere; this proves which file it was.
    Column("certificate_sha256", Text, nullable=False),
    created_at(),
    CheckConstraint(one_of("method", ERASURE_METHODS), name="method"),
    CheckConstraint("certificate_sha256 ~ '^[0-9a-f]{64}$'", name="certificate_sha256"),
)

repair_orders = Table(
    "repair_orders",
    metadata,
    Column("id", BigInteger, Identity(always=False), primary_key=True),
    _case_id(),
    Column("description", Text, nullable=False),
    Column("cost", Numeric(12, 2), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("opened_by", Text, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("closed_by", Text, nullable=True),
    Column("outcome", Text, nullable=True),
    CheckConstraint(one_of("outcome", REPAIR_OUTCOMES), name="outcome"),
)

event_cursors = Table(
    "event_cursors",
    metadata,
    # How far a sweep step that follows asset_events has read (by id: ids become visible in
    # commit order, see tracker.store.writes.EVENTS_LOCK). `recovery_intake` opens cases for
    # returns; migration 0013 starts it at the events already there, so history opens none.
    Column("name", Text, primary_key=True),
    Column("last_event_id", BigInteger, nullable=False),
    updated_at(),
)
