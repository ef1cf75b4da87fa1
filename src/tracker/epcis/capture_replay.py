"""Capture from another tagtrail: the facts its export records, replayed here through the
tracker's own rules (docs/epcis.md, "Capture from another tagtrail"). Pure, no I/O.

Another tagtrail writes one EPCIS event per `asset_events` row, so one observation of its
(a door pass, a handheld scan, a sweeper's decision) is several events with one
`tagtrail:observation`: a departure is `asset_left_site`, `custody_transferred` and
`asset_status_changed`. Here the events of one asset and one observation are one group, and
a group becomes at most one `Reported` fact (tracker.domain.reported) carried by its
driving event: the movement, else the status change. Registrations (`ObjectEvent ADD`,
`tagtrail:kind` `asset_registered`) register the assets this tagtrail does not know yet.
Everything else (alerts, dispatch lines, recovery steps, records about the data) is what
the tracker here derives itself, or only history: it is kept in the capture log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tracker.domain.model import ZoneKind
from tracker.domain.observations import MissingSource
from tracker.domain.reported import Reported, ReportedKind
from tracker.epcis.capture import CaptureError, PlannedEvent
from tracker.epcis.rules import REGISTERED
from tracker.epcis.vocabulary import TAGTRAIL_NAMESPACE
from tracker.identity import TagKind

MOVEMENTS = ("asset_left_site", "asset_arrived", "asset_moved")
# The status change's cause (tracker.domain.Cue) → the fact, when no movement tells it.
_SIGHTED = {
    "seen_on_site": ReportedKind.seen,
    "seen_external": ReportedKind.seen,
    "exited": ReportedKind.left,
    "left_external": ReportedKind.left,
}
_DECIDED = {
    "marked_missing": ReportedKind.marked_missing,
    "written_off": ReportedKind.written_off,
    "recovery_opened": ReportedKind.recovery_opened,
    "redeployed": ReportedKind.redeployed,
    "retired": ReportedKind.retired,
}
_MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Place:
    """A site or a zone of this tagtrail, as an event's location names it."""

    site_id: str
    zone_id: str | None = None
    zone_kind: ZoneKind | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    asset_id: str
    type_id: str
    home_site_id: str
    tag: str  # canonical: the identifier to register
    tag_kind: TagKind
    registered_at: datetime
    owner: str | None = None
    commissioned_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Replayed:
    """A fact to publish, keyed by the asset's canonical tag."""

    fact: Reported
    tag: str
    tag_kind: TagKind


@dataclass(frozen=True, slots=True)
class ReplayContext:
    """What this tagtrail knows that the replay needs."""

    places: Mapping[str, Place]  # location URI (as an export names it) → place
    parties: Mapping[str, str]  # party URI → custodian id
    asset_types: frozenset[str]
    sites: frozenset[str]
    tags: Mapping[str, str]  # canonical tag → asset id, for the tags of the document
    asset_ids: frozenset[str]  # the document's tagtrail:asset ids that exist here
    sees_site: Callable[[str], bool] | None = None


def tagtrail_prefixes(namespace_map: Mapping[str, str]) -> frozenset[str]:
    """The prefixes a document declares for tagtrail's namespace (normally `tagtrail`)."""
    return frozenset(p for p, uri in namespace_map.items() if uri == TAGTRAIL_NAMESPACE)


def tagtrail_fields(event: Mapping[str, Any], prefixes: frozenset[str]) -> dict[str, Any]:
    """tagtrail's extension fields without their prefix; empty: not a tagtrail event."""
    found = {}
    for key, value in event.items():
        prefix, _, name = key.partition(":")
        if name and prefix in prefixes:
            found[name] = value
    return found if isinstance(found.get("kind"), str) else {}


class _Refused(ValueError):
    pass


@dataclass
class _Replay:
    context: ReplayContext
    planned: list[PlannedEvent]
    fields: dict[int, dict[str, Any]]
    errors: list[CaptureError] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)
    registered: dict[str, str] = field(default_factory=dict)  # tag → asset id, this document

    def refuse(self, position: int, reason: str) -> None:
        event = self.planned[position]
        self.errors.append(CaptureError(event.index, event.event_id, reason))
        self.rejected.add(position)


def replay(
    planned: Sequence[PlannedEvent], prefixes: frozenset[str], context: ReplayContext
) -> tuple[list[PlannedEvent], list[CaptureError]]:
    """Every tagtrail event planned anew: no partner reads, its registration or fact if any.
    Events of other origins are left as they are. Errors are per event, like `plan_events`'."""
    run = _Replay(context, list(planned), {})
    groups: dict[tuple[str, str], list[int]] = {}
    for position, event in enumerate(planned):
        found = tagtrail_fields(event.event, prefixes)
        if not found:
            continue
        run.fields[position] = found
        run.planned[position] = replace(event, reads=())
        if len(event.epcs) != 1:
            run.refuse(position, "a tagtrail event names exactly one asset in epcList")
            continue
        observation = found.get("observation")
        key = (event.epcs[0], observation if isinstance(observation, str) else event.event_id)
        groups.setdefault(key, []).append(position)
    for position, found in run.fields.items():
        if found["kind"] == REGISTERED and position not in run.rejected:
            _register(run, position, found)
    for members in groups.values():
        _replay_group(run, [m for m in members if m not in run.rejected])
    kept = [p for position, p in enumerate(run.planned) if position not in run.rejected]
    return kept, sorted(run.errors, key=lambda error: error.index or 0)


def _register(run: _Replay, position: int, found: Mapping[str, Any]) -> None:
    event, context = run.planned[position], run.context
    tag, kind = event.epcs[0], event.epc_kinds[0]
    asset_id, type_id, home = (
        _text(found.get(name)) for name in ("asset", "assetType", "homeSiteId")
    )
    if event.event.get("action") != "ADD" or asset_id is None or type_id is None or home is None:
        run.refuse(position, "a registration is an ADD with tagtrail:asset, assetType, homeSiteId")
    elif tag in context.tags or tag in run.registered:
        return  # registered here already: kept in the log only
    elif asset_id in context.asset_ids or asset_id in run.registered.values():
        run.refuse(position, f"asset id {asset_id!r} is another asset here")
    elif type_id not in context.asset_types:
        run.refuse(position, f"asset type {type_id!r} is not configured here")
    elif home not in context.sites:
        run.refuse(position, f"site {home!r} is not configured here")
    elif context.sees_site is not None and not context.sees_site(home):
        run.refuse(position, f"{home} is a site this key may not capture for")
    else:
        run.registered[tag] = asset_id
        registration = Registration(
            asset_id,
            type_id,
            home,
            tag,
            kind,
            event.event_time,
            _text(found.get("owner")),
            _time(found.get("commissionedAt")),
        )
        run.planned[position] = replace(event, registration=registration)


def _replay_group(run: _Replay, members: list[int]) -> None:
    if not members:
        return
    by_kind: dict[str, int] = {}
    for position in members:
        by_kind.setdefault(run.fields[position]["kind"], position)
    driver = next((by_kind[k] for k in MOVEMENTS if k in by_kind), None)
    status = by_kind.get("asset_status_changed")
    if driver is None and status is not None:
        cause = run.fields[status].get("cause")
        if cause in _SIGHTED or cause in _DECIDED:
            driver = status
    if driver is None:
        return  # history only: the tracker here derives it, or it changes no state
    event = run.planned[driver]
    tag = event.epcs[0]
    if tag not in run.context.tags and tag not in run.registered:
        run.refuse(driver, f"EPC {tag} is no asset here, and the document does not register it")
        return
    try:
        fact = _fact(run, driver, by_kind)
    except _Refused as exc:
        run.refuse(driver, str(exc))
        return
    run.planned[driver] = replace(event, replayed=Replayed(fact, tag, event.epc_kinds[0]))


def _fact(run: _Replay, driver: int, by_kind: Mapping[str, int]) -> Reported:
    event, found = run.planned[driver], run.fields[driver]
    oid, at = _fact_id(event.event_id, event.epcs[0]), event.event_time
    kind = found["kind"]
    if kind in MOVEMENTS:
        place = _place(run, event.location, required=True)
        assert place is not None
        left = kind == "asset_left_site"
        return Reported(
            kind=ReportedKind.left if left else ReportedKind.seen,
            observation_id=oid,
            seen_at=at,
            site_id=place.site_id,
            zone_id=place.zone_id,
            zone_kind=place.zone_kind,
            receiver=_receiver(run, by_kind),
            authorised=left and bool(found.get("dispatchId")),
        )
    cause = str(found.get("cause"))
    if cause in _SIGHTED:
        # Seen again where it was: the status changed, it did not move; no place is named.
        place = _place(run, event.location, required=False)
        external = cause in ("seen_external", "left_external")
        return Reported(
            kind=_SIGHTED[cause],
            observation_id=oid,
            seen_at=at,
            site_id=place.site_id if place else None,
            zone_id=place.zone_id if place else None,
            zone_kind=place.zone_kind if place else (ZoneKind.external if external else None),
            receiver=_receiver(run, by_kind),
        )
    return _decision(run, Reported(kind=_DECIDED[cause], observation_id=oid, seen_at=at), by_kind)


def _decision(run: _Replay, bare: Reported, by_kind: Mapping[str, int]) -> Reported:
    """A decision only tagtrail makes, with the details the status change (and the alert
    that went with a write-off) record."""
    found = run.fields[by_kind["asset_status_changed"]]
    observation = str(found.get("observation", ""))
    audit = observation.removeprefix("audit:") if observation.startswith("audit:") else None
    case_id = found.get("caseId")
    reason = found.get("reason") or (
        f"recovery path {found['path']}" if found.get("path") else None
    )
    return replace(
        bare,
        case_id=case_id if isinstance(case_id, str) else None,
        reason=str(reason)[:_MAX_REASON] if reason else None,
        replacement_value=_replacement_value(run, by_kind),
        missing_source=MissingSource.audit if audit else MissingSource.sweeper,
        audit_id=audit,
    )


def _place(run: _Replay, location: str | None, *, required: bool) -> Place | None:
    if location is None:
        if required:
            raise _Refused("a movement names no readPoint or bizLocation")
        return None
    place = run.context.places.get(location)
    if place is None:
        raise _Refused(f"location {location} is no site or zone here")
    sees = run.context.sees_site
    if sees is not None and not sees(place.site_id):
        raise _Refused(f"{location} is at a site this key may not capture for")
    return place


def _receiver(run: _Replay, by_kind: Mapping[str, int]) -> str | None:
    """Whom the reporter handed the asset to: the custody transfer's possessing party."""
    transfer = by_kind.get("custody_transferred")
    if transfer is None:
        return None
    for entry in run.planned[transfer].event.get("destinationList", []):
        if isinstance(entry, Mapping) and str(entry.get("type", "")).endswith("possessing_party"):
            uri = str(entry.get("destination"))
            custodian = run.context.parties.get(uri)
            if custodian is None:
                raise _Refused(f"party {uri} is no custodian here")
            return custodian
    return None


def _replacement_value(run: _Replay, by_kind: Mapping[str, int]) -> Decimal | None:
    """The value the write-off's `lost` alert put at risk."""
    alert = by_kind.get("alert_raised")
    value = run.fields[alert].get("replacementValue") if alert is not None else None
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def _fact_id(event_id: str, tag: str) -> str:
    """Deterministic: the same event captured after a crash publishes the same fact, which
    the tracker then recognises."""
    return "epcis:" + hashlib.sha256(f"{event_id}|{tag}".encode()).hexdigest()[:40]
