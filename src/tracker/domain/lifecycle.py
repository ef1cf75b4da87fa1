"""The asset lifecycle as a table: (status, cue) -> next status and what happens to custody.

An observation is first reduced to a `Cue` (what it means for the lifecycle); a (status, cue)
pair missing from the table leaves status and custody alone — the sighting is still recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from tracker.domain.model import AssetStatus, ZoneKind
from tracker.domain.observations import (
    DispositionClaimed,
    HandheldAction,
    HandheldScanned,
    MarkedMissing,
    Observation,
    PortalDirection,
    PortalPassed,
    RecoveryOpened,
    Redeployed,
    Retired,
    WrittenOff,
    ZoneEntered,
)


class Cue(StrEnum):
    exited = "exited"  # outbound pass through one of our doors, or a handheld check-out
    seen_on_site = "seen_on_site"  # in a zone of one of our sites, inbound pass, check-in
    seen_external = "seen_external"  # in a zone or through a door at a custodian's premises
    left_external = "left_external"  # outbound through a custodian's door: the way back
    marked_missing = "marked_missing"
    written_off = "written_off"
    recovery_opened = "recovery_opened"
    redeployed = "redeployed"
    retired = "retired"
    claimed = "claimed"  # a partner's word (stolen, destroyed): no transition follows it


# Cues that mean someone physically saw the asset (as opposed to a decision about it).
SIGHTING_CUES = frozenset({Cue.exited, Cue.seen_on_site, Cue.seen_external, Cue.left_external})


class CustodyChange(StrEnum):
    keep = "keep"
    # To the open dispatch's custodian, else the handheld's custodian. With neither, nobody
    # authorised the move: custody stays and `apply` raises unauthorized_exit.
    to_receiver = "to_receiver"
    home = "home"


@dataclass(frozen=True, slots=True)
class Transition:
    to_status: AssetStatus
    custody: CustodyChange


_S = AssetStatus
_C = Cue
_keep, _receiver, _home = CustodyChange.keep, CustodyChange.to_receiver, CustodyChange.home

# A missing or lost asset that is seen again moves on from wherever it turns up.
_REAPPEARANCE: dict[Cue, Transition] = {
    _C.exited: Transition(_S.in_transit, _receiver),
    _C.seen_on_site: Transition(_S.in_service, _home),
    _C.seen_external: Transition(_S.at_custodian, _keep),
    _C.left_external: Transition(_S.in_transit, _keep),
    _C.retired: Transition(_S.retired, _keep),
}

_ROWS: dict[AssetStatus, dict[Cue, Transition]] = {
    _S.in_service: {
        _C.exited: Transition(_S.in_transit, _receiver),
        # Seen at a custodian without a recorded exit: the door read was missed.
        _C.seen_external: Transition(_S.at_custodian, _receiver),
        _C.marked_missing: Transition(_S.missing, _keep),
        _C.recovery_opened: Transition(_S.in_recovery, _keep),
        _C.retired: Transition(_S.retired, _keep),
    },
    _S.in_transit: {
        # Leaving one of our sites again: it came back unseen (a reader was down) and left.
        _C.exited: Transition(_S.in_transit, _receiver),
        _C.seen_external: Transition(_S.at_custodian, _keep),
        _C.seen_on_site: Transition(_S.in_service, _home),
        _C.marked_missing: Transition(_S.missing, _keep),
    },
    _S.at_custodian: {
        _C.exited: Transition(_S.in_transit, _receiver),
        _C.left_external: Transition(_S.in_transit, _keep),
        _C.seen_on_site: Transition(_S.in_service, _home),
        _C.marked_missing: Transition(_S.missing, _keep),
    },
    _S.missing: {**_REAPPEARANCE, _C.written_off: Transition(_S.lost, _keep)},
    _S.lost: dict(_REAPPEARANCE),
    _S.in_recovery: {
        # Sent out to a refurbisher or recycler: needs a dispatch like any other exit.
        _C.exited: Transition(_S.in_transit, _receiver),
        _C.redeployed: Transition(_S.in_service, _home),
        _C.retired: Transition(_S.retired, _keep),
    },
    # Nothing leaves retired.
    _S.retired: {},
}

TRANSITIONS: Mapping[tuple[AssetStatus, Cue], Transition] = MappingProxyType(
    {(status, cue): move for status, row in _ROWS.items() for cue, move in row.items()}
)


def next_transition(status: AssetStatus, cue: Cue) -> Transition | None:
    return TRANSITIONS.get((status, cue))


def _place_cue(zone_kind: ZoneKind | None) -> Cue:
    return Cue.seen_external if zone_kind is ZoneKind.external else Cue.seen_on_site


def _portal_cue(portal: PortalPassed) -> Cue:
    external = portal.zone_kind is ZoneKind.external
    if portal.direction is PortalDirection.outbound:
        return Cue.left_external if external else Cue.exited
    return Cue.seen_external if external else Cue.seen_on_site


_HANDHELD_CUES: Mapping[HandheldAction, Cue] = MappingProxyType(
    {HandheldAction.check_out: Cue.exited, HandheldAction.check_in: Cue.seen_on_site}
)

_DECISION_CUES: Mapping[type[Observation], Cue] = MappingProxyType(
    {
        MarkedMissing: Cue.marked_missing,
        WrittenOff: Cue.written_off,
        RecoveryOpened: Cue.recovery_opened,
        Redeployed: Cue.redeployed,
        Retired: Cue.retired,
    }
)


def cue_of(observation: Observation) -> Cue:
    """What an observation means for the lifecycle, independent of the asset's status."""
    match observation:
        case ZoneEntered():
            return _place_cue(observation.zone_kind)
        case PortalPassed():
            return _portal_cue(observation)
        case HandheldScanned():
            default = _place_cue(observation.zone_kind)
            return _HANDHELD_CUES.get(observation.action, default)
        case DispositionClaimed():
            return Cue.claimed
        case _:
            return _DECISION_CUES[type(observation)]
