"""Capture from another tagtrail (tracker.epcis.capture_replay, tracker.domain.reported): which
of its events register an asset or carry a fact, what the fact says, what is refused and why;
and what the tracker makes of a reported fact."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from tracker.domain import AssetStatus, MissingSource, ZoneKind, new_asset_state
from tracker.domain.reported import Reported, ReportedKind, apply_reported
from tracker.epcis import namespaces
from tracker.epcis.capture import plan_events
from tracker.epcis.capture_replay import Place, ReplayContext, replay, tagtrail_prefixes

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
GRAI = "urn:epc:id:grai:4012345.12345.400"
DOCK = "urn:epc:id:sgln:4012345.00001.dock"
ACME_YARD = "urn:epc:id:sgln:4012345.00002.yard"
ACME = "urn:epc:id:pgln:4012345.00002"
HOME_PARTY = "urn:tagtrail:party:site:dc1"
CONTEXT = ReplayContext(
    places={
        DOCK: Place("dc1", "dc1-dock", ZoneKind.dock),
        ACME_YARD: Place("acme-premises", "acme-yard", ZoneKind.external),
        "urn:epc:id:sgln:4012345.00001.0": Place("dc1"),
    },
    parties={ACME: "acme", HOME_PARTY: "site:dc1"},
    asset_types=frozenset({"crate"}),
    sites=frozenset({"dc1", "acme-premises"}),
    tags={},
    asset_ids=frozenset(),
)


def tagtrail(kind: str, observation: str | None = "obs-1", **fields: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": "2026-11-24T08:00:00+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": [GRAI],
        "action": fields.pop("action", "OBSERVE"),
        "tagtrail:kind": kind,
        "tagtrail:asset": "crate-400",
    }
    if observation is not None:
        event["tagtrail:observation"] = observation
    for name in ("readPoint", "destinationList"):
        if name in fields:
            event[name] = fields.pop(name)
    event.update({f"tagtrail:{name}": value for name, value in fields.items()})
    return event


REGISTERED = tagtrail("asset_registered", None, action="ADD", assetType="crate", homeSiteId="dc1")


def replayed(*events: dict[str, Any], context: ReplayContext = CONTEXT) -> Any:
    planned, errors = plan_events(list(events), namespaces(), {}, NOW)
    assert errors == []
    return replay(planned, tagtrail_prefixes(namespaces()), context)


def test_a_departure_on_a_dispatch_is_one_fact_with_the_receiver() -> None:
    to_acme = [{"type": "possessing_party", "destination": ACME}]
    planned, errors = replayed(
        REGISTERED,
        tagtrail("asset_left_site", readPoint={"id": DOCK}, dispatchId="D-1"),
        tagtrail("custody_transferred", destinationList=to_acme),
        tagtrail("asset_status_changed", cause="exited", status="in_transit"),
    )
    assert errors == []
    assert [p.outcome for p in planned] == ["registered", "observed", "stored", "stored"]
    registration = planned[0].registration
    assert (registration.asset_id, registration.tag, registration.type_id) == (
        "crate-400",
        GRAI,
        "crate",
    )
    fact = planned[1].replayed.fact
    assert (fact.kind, fact.site_id, fact.zone_id, fact.receiver, fact.authorised) == (
        ReportedKind.left,
        "dc1",
        "dc1-dock",
        "acme",
        True,
    )
    assert fact.seen_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert fact.observation_id.startswith("epcis:") and len(fact.observation_id) == 46
    assert all(p.reads == () for p in planned)  # no partner reads for tagtrail's events


def test_decisions_carry_what_the_status_change_and_its_alert_say() -> None:
    known = replace(CONTEXT, tags={GRAI: "crate-400"})
    planned, errors = replayed(
        tagtrail("asset_status_changed", "sweep:lost@x", cause="written_off", status="lost"),
        tagtrail("alert_raised", "sweep:lost@x", alertKind="lost", replacementValue="42.50"),
        tagtrail("asset_status_changed", "audit:7", cause="marked_missing", status="missing"),
        tagtrail("asset_status_changed", "api:1", cause="retired", reason="cracked"),
        tagtrail("asset_status_changed", "rec", cause="recovery_opened", caseId="rc_1"),
        context=known,
    )
    assert errors == []
    facts = [p.replayed.fact for p in planned if p.replayed]
    assert [f.kind for f in facts] == [
        ReportedKind.written_off,
        ReportedKind.marked_missing,
        ReportedKind.retired,
        ReportedKind.recovery_opened,
    ]
    assert facts[0].replacement_value == Decimal("42.50")
    assert (facts[1].missing_source, facts[1].audit_id) == (MissingSource.audit, "7")
    assert (facts[2].reason, facts[3].case_id) == ("cracked", "rc_1")


def test_what_this_tagtrail_cannot_place_is_refused_per_event() -> None:
    nowhere = "urn:epc:id:sgln:4012345.00009.0"
    stranger = [{"type": "possessing_party", "destination": "urn:tagtrail:party:nobody"}]
    planned, errors = replayed(
        tagtrail("asset_registered", None, action="ADD", assetType="pallet", homeSiteId="dc1"),
        tagtrail("asset_arrived", "o1", readPoint={"id": nowhere}),
        tagtrail("asset_left_site", "o2", readPoint={"id": DOCK}),
        tagtrail("custody_transferred", "o2", destinationList=stranger),
    )
    reasons = [(e.index, e.reason) for e in errors]
    assert reasons == [
        (0, "asset type 'pallet' is not configured here"),
        (1, f"EPC {GRAI} is no asset here, and the document does not register it"),
        (2, f"EPC {GRAI} is no asset here, and the document does not register it"),
    ]
    known = replace(CONTEXT, tags={GRAI: "crate-400"})
    planned, errors = replayed(
        tagtrail("asset_arrived", "o1", readPoint={"id": nowhere}),
        tagtrail("asset_left_site", "o2", readPoint={"id": DOCK}),
        tagtrail("custody_transferred", "o2", destinationList=stranger),
        context=known,
    )
    assert [e.reason for e in errors] == [
        f"location {nowhere} is no site or zone here",
        "party urn:tagtrail:party:nobody is no custodian here",
    ]
    assert [p.outcome for p in planned] == ["stored"]  # the transfer: kept in the log


def test_an_asset_known_here_is_not_registered_again() -> None:
    known = replace(CONTEXT, tags={GRAI: "another-id"})
    taken = replace(CONTEXT, asset_ids=frozenset({"crate-400"}))
    (planned,), errors = replayed(REGISTERED, context=known)
    assert (planned.outcome, errors) == ("stored", [])
    _, errors = replayed(REGISTERED, context=taken)
    assert [e.reason for e in errors] == ["asset id 'crate-400' is another asset here"]


def test_a_site_limited_key_replays_only_at_its_sites() -> None:
    limited = replace(CONTEXT, tags={GRAI: "crate-400"}, sees_site={"dc1"}.__contains__)
    _, errors = replayed(tagtrail("asset_arrived", readPoint={"id": ACME_YARD}), context=limited)
    assert [e.reason for e in errors] == [f"{ACME_YARD} is at a site this key may not capture for"]


def _state() -> Any:
    return new_asset_state("crate-400", home_site_id="dc1", home_custodian_id="site:dc1")


def _fact(kind: ReportedKind, minutes: int, **fields: Any) -> Reported:
    return Reported(
        kind=kind,
        observation_id=f"{kind}-{minutes}",
        seen_at=NOW + timedelta(minutes=minutes),
        **fields,
    )


def test_the_tracker_applies_reported_facts_by_its_own_rules() -> None:
    place = {"site_id": "dc1", "zone_id": "dc1-dock", "zone_kind": ZoneKind.dock}
    out, _ = apply_reported(_state(), _fact(ReportedKind.left, 1, **place, receiver="acme"), NOW)
    assert (out.status, out.custodian_id, out.site_id) == (AssetStatus.in_transit, "acme", None)
    unauthorised, events = apply_reported(_state(), _fact(ReportedKind.left, 1, **place), NOW)
    assert unauthorised.custodian_id == "site:dc1"
    assert "alert_raised" in [e.kind for e in events]
    missing, _ = apply_reported(_state(), _fact(ReportedKind.marked_missing, 2), NOW)
    # Seen again where it was: the fact names no place, the asset stays where it is.
    back, _ = apply_reported(missing, _fact(ReportedKind.seen, 3), NOW)
    assert (missing.status, back.status, back.site_id) == (
        AssetStatus.missing,
        AssetStatus.in_service,
        "dc1",
    )
    # Older than what was applied: recorded late, as a read would be.
    late, events = apply_reported(back, _fact(ReportedKind.retired, 2), NOW)
    assert late.status is AssetStatus.in_service
    assert [e.kind for e in events] == ["observation_recorded_late"]
