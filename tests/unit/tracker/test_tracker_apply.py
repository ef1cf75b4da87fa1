"""What `apply` does with sightings and decisions: places, missing and lost, recovery, retired."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tracker_builders import (
    ACME,
    DISPATCH,
    HOME_CUSTODIAN,
    OTHER_SITE,
    at,
    external,
    fresh,
    handheld,
    observation_for,
    of_type,
    portal,
    run,
    state_in,
    zone_entered,
)

from tracker.domain import (
    AlertRaised,
    AlertResolved,
    AssetArrived,
    AssetMoved,
    AssetStatus,
    Cue,
    HandheldAction,
    ObservationIgnored,
    PortalDirection,
    WrittenOff,
    ZoneKind,
    apply,
)

OUT = PortalDirection.outbound


def test_seen_at_another_of_our_sites_without_dispatch_records_the_arrival() -> None:
    state, events = run(fresh(), [zone_entered(10, site=OTHER_SITE, zone="z-other")])

    assert (state.site_id, state.zone_id, state.status) == (
        OTHER_SITE,
        "z-other",
        AssetStatus.in_service,
    )
    assert [a.at_home for a in of_type(events, AssetArrived)] == [False]


def test_moving_between_zones_on_site_is_recorded_and_repeat_presence_is_not() -> None:
    first, moved, again = (
        zone_entered(10, zone="z-storage"),
        zone_entered(20, zone="z-yard", kind=ZoneKind.yard),
        zone_entered(30, zone="z-yard", kind=ZoneKind.yard),
    )
    state, _ = run(fresh(), [first])

    state, events = apply(state, moved, moved.seen_at)
    assert [(m.from_zone_id, m.to_zone_id) for m in of_type(events, AssetMoved)] == [
        ("z-storage", "z-yard")
    ]

    state, events = apply(state, again, again.seen_at)
    assert events == []
    assert state.last_seen_at == at(30)


def test_handheld_scan_without_zone_keeps_the_known_zone() -> None:
    state, _ = run(fresh(), [zone_entered(10, zone="z-yard"), handheld(20, HandheldAction.audit)])

    assert state.zone_id == "z-yard"
    assert state.last_seen_at == at(20)


def test_arrival_at_the_customer_puts_the_asset_at_its_custodian() -> None:
    state, events = run(fresh(), [portal(10, OUT, dispatch=DISPATCH), external(200)])

    assert (state.status, state.custodian_id) == (AssetStatus.at_custodian, ACME)
    assert [a.zone_kind for a in of_type(events, AssetArrived)] == [ZoneKind.external]


def test_marked_missing_raises_not_seen_and_reappearance_resolves_it() -> None:
    missing = observation_for(Cue.marked_missing, 10, None)
    state, events = run(fresh(), [missing])
    assert state.status is AssetStatus.missing
    assert [a.alert_kind for a in of_type(events, AlertRaised)] == ["not_seen"]

    state, events = run(state, [zone_entered(20)])

    assert state.status is AssetStatus.in_service
    assert {r.alert_kind for r in of_type(events, AlertResolved)} == {"not_seen", "lost"}


def test_write_off_raises_lost_with_the_replacement_value() -> None:
    write_off = WrittenOff(observation_id="w-1", seen_at=at(20), replacement_value=Decimal("85.50"))
    state, events = run(state_in(AssetStatus.missing), [write_off])

    assert state.status is AssetStatus.lost
    (alert,) = of_type(events, AlertRaised)
    assert (alert.alert_kind, alert.replacement_value) == ("lost", Decimal("85.50"))


def test_a_lost_asset_seen_at_home_is_back_in_service() -> None:
    state, events = run(state_in(AssetStatus.lost), [zone_entered(100)])

    assert (state.status, state.custodian_id) == (AssetStatus.in_service, HOME_CUSTODIAN)
    assert "lost" in {r.alert_kind for r in of_type(events, AlertResolved)}


def test_decisions_do_not_count_as_sightings() -> None:
    state, _ = run(fresh(), [zone_entered(10), observation_for(Cue.marked_missing, 20, None)])

    assert state.last_seen_at == at(10)


def test_recovery_opens_redeploys_and_retires() -> None:
    state, _ = run(fresh(), [observation_for(Cue.recovery_opened, 10, None)])
    assert state.status is AssetStatus.in_recovery
    redeployed, _ = run(state, [observation_for(Cue.redeployed, 20, None)])
    assert redeployed.status is AssetStatus.in_service
    retired, _ = run(state, [observation_for(Cue.retired, 20, None)])
    assert retired.status is AssetStatus.retired


@pytest.mark.parametrize("cue", list(Cue))
def test_a_retired_asset_stays_put_and_the_sighting_is_kept(cue: Cue) -> None:
    retired = state_in(AssetStatus.retired)
    observation = observation_for(cue, 1_000, DISPATCH)

    after, events = apply(retired, observation, observation.seen_at)

    assert (after.status, after.site_id, after.custodian_id) == (
        AssetStatus.retired,
        retired.site_id,
        retired.custodian_id,
    )
    assert [type(e) for e in events] == [ObservationIgnored]
