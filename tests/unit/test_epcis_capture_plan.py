"""How a captured event is planned (tracker.epcis.capture): which events become reads, at
which read point, under which ids; which are stored only; which are refused and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tracker.epcis import namespaces
from tracker.epcis.capture import plan_events
from tracker.epcis.capture_reads import CapturePoint

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DOCK = "urn:epc:id:sgln:4012345.00002.0"
HUB = "urn:epc:id:sgln:4012345.00003.0"
POINTS = {
    DOCK: CapturePoint("partners", "acme-dock", "external", "acme-epcis", None),
    HUB: CapturePoint("partners", "hub", "external", None, ("hub-door", 1, 2)),
}
GRAI = "urn:epc:id:grai:4012345.12345.400"


def event(biz_step: str, location: str = DOCK, **extra: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": "2026-11-24T08:00:00+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": [GRAI],
        "action": "OBSERVE",
        "bizStep": biz_step,
        "bizLocation": {"id": location},
        **extra,
    }


def plan(*events: dict[str, Any], parties: dict[str, str] | None = None) -> Any:
    return plan_events(list(events), namespaces(), POINTS, NOW, None, parties)


def test_a_receiving_is_a_handheld_scan_at_the_zone_with_a_stable_read_id() -> None:
    (planned,), errors = plan(event("receiving"))
    (again,), _ = plan(event("receiving"))
    assert errors == []
    (read,) = planned.reads
    assert (read.reader_id, read.source, read.tag, read.custodian) == (
        "acme-epcis",
        "handheld",
        GRAI,
        None,
    )
    assert read.seen_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert read.read_id == again.reads[0].read_id and len(read.read_id) <= 64
    assert planned.event_id.startswith("ni:///sha-256;") and planned.outcome == "observed"


def test_a_departure_is_a_pass_inside_then_outside_and_an_arrival_the_reverse() -> None:
    (out, back), _ = plan(event("departing", HUB), event("arriving", HUB))
    assert [(r.antenna, r.rssi) for r in out.reads] == [(1, -40.0), (2, -40.0)]
    assert [r.antenna for r in back.reads] == [2, 1]
    assert out.reads[1].seen_at - out.reads[0].seen_at == timedelta(seconds=1)


def test_digital_links_resolve_to_the_canonical_tag_and_parties_to_custodians() -> None:
    link = "https://id.gs1.org/8003/04012345123456400"
    to = [{"type": "possessing_party", "destination": "urn:epc:id:pgln:4012345.00002"}]
    (planned,), _ = plan(
        event("receiving", epcList=[link], destinationList=to),
        parties={"urn:epc:id:pgln:4012345.00002": "acme"},
    )
    assert planned.epcs == (GRAI,)
    assert planned.reads[0].custodian == "acme"


def test_what_is_stored_only() -> None:
    planned, errors = plan(
        event("receiving", disposition="stolen"),
        event("receiving", action="DELETE"),
        event("shipping"),
        event("receiving", "urn:epc:id:sgln:4012345.00009.0"),
        event("departing"),  # acme's dock has no door
    )
    assert errors == []
    assert [p.outcome for p in planned] == ["stored"] * 5


def test_bad_events_are_named_by_index() -> None:
    planned, errors = plan(
        event("receiving"),
        event("receiving", eventTime="1999-01-01T00:00:00Z"),
        event("receiving", eventTime=(NOW + timedelta(hours=1)).isoformat()),
        event("receiving", epcList=["urn:epc:id:grai:4012345.12345"]),
        event("receiving", epcList=["https://id.gs1.org/8003"]),
    )
    assert [p.index for p in planned] == [0]
    assert [e.index for e in errors] == [1, 2, 3, 4]
    assert "before 2000-01-01" in errors[0].reason and "future" in errors[1].reason


def test_a_site_limited_key_may_not_capture_elsewhere() -> None:
    planned, errors = plan_events(
        [event("receiving")], namespaces(), POINTS, NOW, lambda site: site == "dc1"
    )
    assert planned == [] and "may not capture" in errors[0].reason
