"""A partner's stolen / destroyed / disposed event (tracker.epcis.capture_claims): no reads,
one claim fact per EPC of ours, nothing for foreign EPCs, nothing for another tagtrail's
events a trusted key replays; the fact survives the Kafka record (ingest.reported)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ingest.reported import decode_reported, encode_reported, reported_record
from tracker.domain import ClaimedDisposition
from tracker.domain.reported import ReportedKind
from tracker.epcis import namespaces
from tracker.epcis.capture import plan_events
from tracker.epcis.capture_claims import claimed_tags, plan_claims
from tracker.epcis.capture_reads import CapturePoint
from tracker.epcis.vocabulary import TAGTRAIL_NAMESPACE

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DOCK = "urn:epc:id:sgln:4012345.00002.0"
POINTS = {DOCK: CapturePoint("partners", "acme-dock", "external", "acme-epcis", None)}
OURS = "urn:epc:id:grai:4012345.12345.400"
ALSO_OURS = "urn:epc:id:grai:4012345.12345.401"
FOREIGN = "urn:epc:id:grai:4012345.99999.77"
OWNED = {OURS: "crate-400", ALSO_OURS: "crate-401"}
REPORTER = "Acme (key 0a1b2c)"


def event(disposition: str | None, epcs: list[str], **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": "2026-11-24T08:00:00+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": epcs,
        "action": "OBSERVE",
        "bizStep": "receiving",
        "bizLocation": {"id": DOCK},
        **extra,
    }
    if disposition is not None:
        found["disposition"] = disposition
    return found


def plan(*events: dict[str, Any], prefixes: frozenset[str] = frozenset()) -> Any:
    planned, errors = plan_events(list(events), namespaces(), POINTS, NOW)
    assert errors == []
    return plan_claims(planned, OWNED, REPORTER, prefixes)


def test_a_stolen_event_is_one_claim_per_epc_of_ours_and_no_read() -> None:
    (planned,) = plan(event("stolen", [OURS, FOREIGN, ALSO_OURS]))

    assert planned.reads == ()
    assert [c.tag for c in planned.claims] == [OURS, ALSO_OURS]
    fact = planned.claims[0].fact
    assert (fact.kind, fact.disposition, fact.reporter) == (
        ReportedKind.disposition_claimed,
        ClaimedDisposition.stolen,
        REPORTER,
    )
    assert fact.seen_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert planned.outcome == "observed"


def test_claim_ids_are_stable_per_event_and_epc_and_apart_from_read_ids() -> None:
    (first,), (again,) = plan(event("destroyed", [OURS])), plan(event("destroyed", [OURS]))
    (read,) = plan(event(None, [OURS]))

    assert first.claims[0].fact.observation_id == again.claims[0].fact.observation_id
    assert first.claims[0].fact.observation_id != read.reads[0].read_id
    assert len(first.claims[0].fact.observation_id) <= 64


def test_foreign_epcs_and_other_dispositions_stay_stored() -> None:
    foreign, damaged = plan(event("stolen", [FOREIGN]), event("damaged", [OURS]))

    assert (foreign.claims, foreign.reads, foreign.outcome) == ((), (), "stored")
    assert damaged.claims == () and len(damaged.reads) == 1  # a sighting, as before


def test_only_claiming_events_ask_which_epcs_are_ours() -> None:
    planned, _ = plan_events(
        [event("disposed", [FOREIGN]), event(None, [OURS])], namespaces(), POINTS, NOW
    )

    assert claimed_tags(planned) == {FOREIGN}


def test_a_tagtrail_event_a_trusted_key_replays_is_no_claim() -> None:
    retired = event("destroyed", [OURS], action="DELETE", **{"tagtrail:kind": "x"})
    context = {"tagtrail": TAGTRAIL_NAMESPACE}

    (trusted,) = plan(retired, prefixes=frozenset(context))
    (partner,) = plan(retired)

    assert trusted.claims == ()
    assert [c.tag for c in partner.claims] == [OURS]  # a partner's word, whatever it carries


def test_a_claim_travels_as_a_reported_record_and_back() -> None:
    (planned,) = plan(event("disposed", [OURS]))
    claim = planned.claims[0]

    record = decode_reported(encode_reported(reported_record(claim.fact, claim.tag, "epc")))

    assert record.fact() == claim.fact
