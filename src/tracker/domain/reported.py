"""What another tagtrail reported about an asset, applied here by the same rules (EPCIS
tagtrail-to-tagtrail capture, docs/epcis.md).

A `Reported` fact is one observation of the reporting tagtrail, as its EPCIS export tells it:
the asset was seen at a place or left one (and whom it was handed to), or a decision only
tagtrail makes (marked missing or written off by a time rule, recovery opened, redeployed,
retired). A partner's EPCIS event that says one of our assets was stolen, destroyed or
disposed of is a fact too: its claim (`disposition_claimed`). `apply_reported` turns the
fact into the observation this tracker knows and runs `apply` on it: this tracker decides,
in event-time order, exactly as for its own reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from tracker.domain.apply import apply
from tracker.domain.events import Event
from tracker.domain.model import AssetState, ZoneKind, require_aware
from tracker.domain.observations import (
    ClaimedDisposition,
    DispositionClaimed,
    HandheldAction,
    HandheldScanned,
    MarkedMissing,
    MissingSource,
    Observation,
    PortalDirection,
    PortalPassed,
    RecoveryOpened,
    Redeployed,
    Retired,
    WrittenOff,
)

# Who the observations of reported sightings name as their operator.
REPORTED_BY = "epcis-capture"


class ReportedKind(StrEnum):
    seen = "seen"  # seen at a place (arrived, moved, or seen again where it was)
    left = "left"  # left a place outbound
    marked_missing = "marked_missing"
    written_off = "written_off"
    recovery_opened = "recovery_opened"
    redeployed = "redeployed"
    retired = "retired"
    # A partner's word that the asset was stolen, destroyed or disposed of.
    disposition_claimed = "disposition_claimed"


SIGHTINGS = frozenset({ReportedKind.seen, ReportedKind.left})


@dataclass(frozen=True, slots=True, kw_only=True)
class Reported:
    kind: ReportedKind
    observation_id: str
    seen_at: datetime
    # The place (a sighting); None for a sighting: where the asset is now.
    site_id: str | None = None
    zone_id: str | None = None
    zone_kind: ZoneKind | None = None
    # The custodian the reporter handed the asset to with this observation, if any.
    receiver: str | None = None
    # It left on a dispatch the reporter knew: an authorised exit even if no new holder.
    authorised: bool = False
    case_id: str | None = None
    reason: str | None = None
    replacement_value: Decimal | None = None
    missing_source: MissingSource = MissingSource.sweeper
    audit_id: str | None = None
    # A claim: what the partner says became of the asset, and who says so.
    disposition: ClaimedDisposition | None = None
    reporter: str | None = None

    def __post_init__(self) -> None:
        if not self.observation_id:
            raise ValueError("observation_id must be set: it is what makes replays idempotent")
        require_aware("seen_at", self.seen_at)
        if self.zone_id is not None and self.site_id is None:
            raise ValueError("a zone needs its site")
        claim = self.kind is ReportedKind.disposition_claimed
        if claim and (self.disposition is None or not self.reporter):
            raise ValueError("a claim names its disposition and its reporter")


def apply_reported(
    state: AssetState, fact: Reported, now: datetime
) -> tuple[AssetState, list[Event]]:
    """`apply` of the observation the fact stands for in this state."""
    return apply(state, observation_of(state, fact), now)


def observation_of(state: AssetState, fact: Reported) -> Observation:
    """A sighting becomes a handheld scan or check-out by `REPORTED_BY`, which carries the
    receiver as a handheld's custodian does (this tagtrail has no record of the reporter's
    dispatch); a departure from a custodian's premises an outbound pass through its door.
    A decision becomes the decision, a claim the claim."""
    oid, at = fact.observation_id, fact.seen_at
    match fact.kind:
        case ReportedKind.seen | ReportedKind.left:
            return _sighting(state, fact)
        case ReportedKind.marked_missing:
            source, audit = fact.missing_source, fact.audit_id
            return MarkedMissing(observation_id=oid, seen_at=at, source=source, audit_id=audit)
        case ReportedKind.written_off:
            value = fact.replacement_value
            return WrittenOff(observation_id=oid, seen_at=at, replacement_value=value)
        case ReportedKind.recovery_opened:
            return RecoveryOpened(observation_id=oid, seen_at=at, recovery_id=fact.case_id or oid)
        case ReportedKind.redeployed:
            return Redeployed(observation_id=oid, seen_at=at, recovery_id=fact.case_id)
        case ReportedKind.retired:
            reason = fact.reason or "retired by the reporting tagtrail"
            return Retired(observation_id=oid, seen_at=at, reason=reason)
        case ReportedKind.disposition_claimed:
            # __post_init__ makes sure a claim has both.
            assert fact.disposition is not None
            assert fact.reporter is not None
            return DispositionClaimed(
                observation_id=oid,
                seen_at=at,
                disposition=fact.disposition,
                reporter=fact.reporter,
            )


def _sighting(state: AssetState, fact: Reported) -> Observation:
    # Seen again where it was (a missing asset turning up in its zone): the reporter recorded
    # no move, only the status change, so the event names no place. Every status a sighting
    # can follow without a place (missing, lost: marked while at a site) keeps a site.
    site_id = fact.site_id or state.site_id or state.home_site_id
    zone_id = fact.zone_id if fact.site_id else None
    if fact.kind is ReportedKind.left and fact.zone_kind is ZoneKind.external and zone_id:
        # The way back from a custodian (left_external: custody stays), not an exit of ours.
        return PortalPassed(
            observation_id=fact.observation_id,
            seen_at=fact.seen_at,
            direction=PortalDirection.outbound,
            site_id=site_id,
            zone_id=zone_id,
            read_point_id=REPORTED_BY,
            zone_kind=ZoneKind.external,
        )
    receiver = fact.receiver
    if receiver is None and fact.authorised and fact.kind is ReportedKind.left:
        receiver = state.custodian_id  # left on a dispatch to whoever already holds it
    return HandheldScanned(
        observation_id=fact.observation_id,
        seen_at=fact.seen_at,
        action=HandheldAction.check_out if fact.kind is ReportedKind.left else HandheldAction.scan,
        operator=REPORTED_BY,
        site_id=site_id,
        zone_id=zone_id,
        zone_kind=fact.zone_kind,
        custodian_id=receiver,
    )
