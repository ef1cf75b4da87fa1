"""What the consumer, the API and the sweeper feed into `apply`.

Fixed reads arrive here already smoothed (a presence start, a portal pass), never as raw reads.
Every observation has a deterministic `observation_id` derived from its read id, so a replayed
Kafka batch produces the same ids, and `seen_at` from the reader's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from tracker.domain.model import OpenDispatch, ZoneKind, require_aware


class PortalDirection(StrEnum):
    outbound = "outbound"
    inbound = "inbound"


class HandheldAction(StrEnum):
    scan = "scan"
    check_out = "check_out"
    check_in = "check_in"
    audit = "audit"


class MissingSource(StrEnum):
    sweeper = "sweeper"
    audit = "audit"


class ClaimedDisposition(StrEnum):
    """The CBV dispositions by which a partner says what became of an asset (not where it
    saw it)."""

    stolen = "stolen"
    destroyed = "destroyed"
    disposed = "disposed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ObservationBase:
    # Stable name for history rows (e.g. which kind of observation arrived late).
    kind: ClassVar[str] = "observation"

    observation_id: str
    seen_at: datetime

    def __post_init__(self) -> None:
        if not self.observation_id:
            raise ValueError("observation_id must be set: it is what makes replays idempotent")
        require_aware("seen_at", self.seen_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneEntered(ObservationBase):
    """A presence started at a zone read point."""

    kind: ClassVar[str] = "zone_entered"

    site_id: str
    zone_id: str
    zone_kind: ZoneKind
    read_point_id: str
    open_dispatch: OpenDispatch | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PortalPassed(ObservationBase):
    """An inside/outside antenna pair saw the asset cross a door."""

    kind: ClassVar[str] = "portal_passed"

    direction: PortalDirection
    site_id: str
    zone_id: str
    read_point_id: str
    # A door at a custodian's premises is `external`; our own doors sit in a dock zone.
    zone_kind: ZoneKind = ZoneKind.dock
    open_dispatch: OpenDispatch | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HandheldScanned(ObservationBase):
    kind: ClassVar[str] = "handheld_scanned"

    action: HandheldAction
    operator: str
    site_id: str
    zone_id: str | None = None
    zone_kind: ZoneKind | None = None
    custodian_id: str | None = None
    # The dispatch the operator scanned, kept for history; custody follows `open_dispatch`.
    dispatch_id: str | None = None
    open_dispatch: OpenDispatch | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkedMissing(ObservationBase):
    """The sweeper or a closed audit decided the asset is not where it was expected."""

    kind: ClassVar[str] = "marked_missing"

    source: MissingSource
    audit_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WrittenOff(ObservationBase):
    kind: ClassVar[str] = "written_off"

    replacement_value: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryOpened(ObservationBase):
    kind: ClassVar[str] = "recovery_opened"

    recovery_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Redeployed(ObservationBase):
    kind: ClassVar[str] = "redeployed"

    recovery_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Retired(ObservationBase):
    kind: ClassVar[str] = "retired"

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DispositionClaimed(ObservationBase):
    """A partner reported the asset stolen, destroyed or disposed of (an EPCIS event's
    disposition). Its word, not a sighting nor a decision of ours: it raises an alert and
    moves nothing."""

    kind: ClassVar[str] = "disposition_claimed"

    disposition: ClaimedDisposition
    reporter: str


SightingObservation = ZoneEntered | PortalPassed | HandheldScanned
DecisionObservation = MarkedMissing | WrittenOff | RecoveryOpened | Redeployed | Retired
Observation = SightingObservation | DecisionObservation | DispositionClaimed
