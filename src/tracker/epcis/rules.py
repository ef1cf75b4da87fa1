"""The mapping table: which EPCIS event, action, business step and disposition each kind of
asset event becomes (docs/epcis.md shows the same table).

A kind maps to one `Standard`, or to one per variant when a fact of the event decides (the
status an asset moved to, the recovery path, the kind of zone it was moved into…); `variant`
names that fact for each kind. The rest of an event (where, which transactions, which
parties, tagtrail's own fields) is `tracker.epcis.mapping`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from tracker.epcis.vocabulary import Action, BizStep, Disposition, EventType, TagtrailStep


@dataclass(frozen=True, slots=True)
class Standard:
    """The standard fields of one mapped event; None: the field is left out."""

    event_type: EventType = EventType.object_event
    action: Action = Action.observe
    biz_step: BizStep | TagtrailStep | None = None
    disposition: Disposition | None = None


_OBJ, _TX = EventType.object_event, EventType.transaction_event
_ADD, _OBSERVE, _DELETE = Action.add, Action.observe, Action.delete
_B, _D, _T = BizStep, Disposition, TagtrailStep

# Synthesised from the assets row: there is no asset_events row for a registration.
REGISTERED = "asset_registered"

# kind → variant → Standard; the variant "" is the kind's default.
RULES: Mapping[str, Mapping[str, Standard]] = MappingProxyType(
    {
        REGISTERED: {"": Standard(_OBJ, _ADD, _B.commissioning, _D.active)},
        "asset_arrived": {"": Standard(biz_step=_B.arriving)},
        "asset_moved": {
            "storage": Standard(biz_step=_B.storing),
            "quarantine": Standard(biz_step=_B.holding),
            "": Standard(biz_step=_B.arriving),
        },
        "asset_left_site": {
            "dispatch": Standard(_OBJ, _OBSERVE, _B.shipping, _D.in_transit),
            "": Standard(_OBJ, _OBSERVE, _B.departing, _D.in_transit),
        },
        "custody_transferred": {"": Standard(biz_step=_B.accepting)},
        "asset_status_changed": {
            "in_service": Standard(_OBJ, _OBSERVE, _B.arriving, _D.available),
            "in_service/redeployed": Standard(_OBJ, _OBSERVE, _B.stocking, _D.available),
            "in_transit": Standard(_OBJ, _OBSERVE, _B.departing, _D.in_transit),
            "at_custodian": Standard(_OBJ, _OBSERVE, _B.arriving, _D.in_progress),
            "missing": Standard(_OBJ, _OBSERVE, _T.marking_missing, _D.unknown),
            "lost": Standard(_OBJ, _OBSERVE, _T.writing_off, _D.unknown),
            "in_recovery": Standard(_OBJ, _OBSERVE, _B.holding, _D.returned),
            "retired": Standard(_OBJ, _DELETE, _B.decommissioning, _D.inactive),
            "retired/resale": Standard(_OBJ, _DELETE, _B.decommissioning, _D.inactive),
            "retired/parts": Standard(_OBJ, _DELETE, _B.disassembling, _D.destroyed),
            "retired/recycling": Standard(_OBJ, _DELETE, _B.collecting, _D.disposed),
        },
        # The dispatch line closes: the asset leaves the dispatch's transaction.
        "turnaround_recorded": {"": Standard(_TX, _DELETE, _B.receiving, _D.returned)},
        "dispatch_closed": {
            "cancelled": Standard(_TX, _DELETE, _B.void_shipping),
            "": Standard(_TX, _DELETE),
        },
        # Records about the data, not business steps: tagtrail's fields say what happened.
        "observation_recorded_late": {"": Standard()},
        "clock_clamped": {"": Standard()},
        "observation_ignored": {"": Standard()},
        "alert_raised": {"": Standard()},
        "alert_acknowledged": {"": Standard()},
        "alert_resolved": {"": Standard()},
        # Recovery: the case is the asset's return authorisation (rma), opened and closed.
        "recovery_opened": {"": Standard(_TX, _ADD, _B.holding, _D.returned)},
        "recovery_checked": {
            "passed": Standard(_OBJ, _OBSERVE, _B.inspecting, _D.conformant),
            "failed": Standard(_OBJ, _OBSERVE, _B.inspecting, _D.non_conformant),
        },
        "recovery_graded": {
            "ready_to_redeploy": Standard(_OBJ, _OBSERVE, _B.inspecting, _D.conformant),
            "": Standard(_OBJ, _OBSERVE, _B.inspecting, _D.non_conformant),
        },
        "asset_sanitised": {"": Standard(biz_step=_T.sanitising)},
        "repair_ordered": {"": Standard(_OBJ, _OBSERVE, _B.repairing, _D.unavailable)},
        "repair_closed": {
            "repaired": Standard(_OBJ, _OBSERVE, _B.repairing, _D.conformant),
            "unrepairable": Standard(_OBJ, _OBSERVE, _B.repairing, _D.non_conformant),
        },
        "recovery_decided": {"": Standard(biz_step=_T.deciding)},
        "recovery_closed": {
            "redeploy": Standard(_TX, _DELETE, _B.stocking, _D.available),
            "resale": Standard(_TX, _DELETE, _B.decommissioning, _D.inactive),
            "parts": Standard(_TX, _DELETE, _B.disassembling, _D.destroyed),
            "recycling": Standard(_TX, _DELETE, _B.collecting, _D.disposed),
        },
    }
)

# A kind tagtrail may add later still exports: an observation with tagtrail's fields.
UNKNOWN_KIND = Standard()


def _status_variant(payload: Mapping[str, Any], _zone_kind: str | None) -> str:
    status = str(payload.get("to_status", ""))
    if status == "retired" and payload.get("path"):
        return f"retired/{payload['path']}"
    if status == "in_service" and payload.get("cause") == "redeployed":
        return "in_service/redeployed"
    return status


def _checks_variant(payload: Mapping[str, Any], _zone_kind: str | None) -> str:
    checks = payload.get("checks") or []
    passed = all(isinstance(c, Mapping) and c.get("passed") is True for c in checks)
    return "passed" if passed else "failed"


def _field(name: str) -> Callable[[Mapping[str, Any], str | None], str]:
    def variant(payload: Mapping[str, Any], _zone_kind: str | None) -> str:
        value = payload.get(name)
        return "" if value is None else str(value)

    return variant


def _dispatched(payload: Mapping[str, Any], _zone_kind: str | None) -> str:
    return "dispatch" if payload.get("dispatch_id") else ""


def _zone(_payload: Mapping[str, Any], zone_kind: str | None) -> str:
    return zone_kind or ""


# kind → (what decides the variant, in words for the docs; how it is read from an event)
VARIANTS: Mapping[str, tuple[str, Callable[[Mapping[str, Any], str | None], str]]] = (
    MappingProxyType(
        {
            "asset_moved": ("kind of the zone moved into", _zone),
            "asset_left_site": ("payload.dispatch_id set", _dispatched),
            "asset_status_changed": (
                "payload.to_status (retired: / payload.path; in_service: / redeployed cause)",
                _status_variant,
            ),
            "dispatch_closed": ("payload.outcome", _field("outcome")),
            "recovery_checked": ("every check passed", _checks_variant),
            "recovery_graded": ("payload.grade", _field("grade")),
            "repair_closed": ("payload.outcome", _field("outcome")),
            "recovery_closed": ("payload.path", _field("path")),
        }
    )
)


def standard_for(kind: str, payload: Mapping[str, Any], zone_kind: str | None = None) -> Standard:
    """`zone_kind`: the kind of the zone the event names (asset_moved's destination)."""
    variants = RULES.get(kind)
    if variants is None:
        return UNKNOWN_KIND
    decide = VARIANTS.get(kind)
    variant = decide[1](payload, zone_kind) if decide else ""
    return variants.get(variant) or variants.get("") or UNKNOWN_KIND
