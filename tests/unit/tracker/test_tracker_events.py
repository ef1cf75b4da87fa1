"""Events as the consumer stores them: a stable kind and a JSON payload."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import get_args

from tracker_builders import DISPATCH, at, fresh, portal, run, zone_entered

from tracker.domain import (
    EVENT_TYPES,
    AlertKind,
    AlertRaised,
    Event,
    Observation,
    PortalDirection,
    TurnaroundRecorded,
    event_payload,
    event_record,
)


def test_every_event_type_has_its_own_stable_kind() -> None:
    kinds = [event_type.kind for event_type in EVENT_TYPES]

    assert len(set(kinds)) == len(kinds)
    assert "event" not in kinds
    assert "custody_transferred" in kinds
    assert "turnaround_recorded" in kinds


def test_the_event_union_and_the_list_of_event_types_agree() -> None:
    assert set(get_args(Event)) == set(EVENT_TYPES)


def test_a_whole_round_trip_serialises_to_json() -> None:
    trip: list[Observation] = [
        portal(10, PortalDirection.outbound, dispatch=DISPATCH),
        zone_entered(70),
    ]
    _, events = run(fresh(), trip)

    records = [event_record(event) for event in events]

    assert [r.kind for r in records] == [
        "asset_left_site",
        "custody_transferred",
        "asset_status_changed",
        "asset_arrived",
        "custody_transferred",
        "turnaround_recorded",
        "asset_status_changed",
    ]
    for record in records:
        json.dumps(record.payload)
    assert records[2].payload == {
        "from_status": "in_service",
        "to_status": "in_transit",
        "cause": "exited",
    }


def test_turnaround_payload_keeps_times_and_durations_queryable() -> None:
    turnaround = TurnaroundRecorded(
        asset_id="asset-1",
        observation_id="obs-9",
        occurred_at=at(70),
        dispatch_id="d-1",
        custodian_id="cust-acme",
        returned_by_custodian_id=None,
        returned_to_site_id="site-home",
        departed_at=at(10),
        duration=timedelta(hours=1),
        overdue=False,
    )

    record = event_record(turnaround)

    assert record.payload["duration"] == 3600.0
    assert record.payload["departed_at"] == "2026-11-02T08:10:00+00:00"
    assert "asset_id" not in record.payload
    assert (record.asset_id, record.observation_id, record.occurred_at) == (
        "asset-1",
        "obs-9",
        at(70),
    )


def test_money_stays_exact_in_the_payload() -> None:
    alert = AlertRaised(
        asset_id="asset-1",
        observation_id="obs-3",
        occurred_at=at(0),
        alert_kind=AlertKind.lost,
        reason="missing past the write-off threshold",
        replacement_value=Decimal("1234.10"),
    )

    payload = event_payload(alert)

    assert payload["replacement_value"] == "1234.10"
    assert payload["alert_kind"] == "lost"
    assert type(payload["alert_kind"]) is str
