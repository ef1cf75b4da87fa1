"""Custody through `apply`: dispatches out, returns home, turnarounds, unauthorised exits."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tracker_builders import (
    ACME,
    CARRIER,
    DISPATCH,
    HOME,
    HOME_CUSTODIAN,
    OTHER_SITE,
    SECOND_DISPATCH,
    at,
    external,
    fresh,
    handheld,
    observation_for,
    of_type,
    portal,
    run,
    zone_entered,
)

from tracker.domain import (
    AlertRaised,
    AlertResolved,
    AssetArrived,
    AssetLeftSite,
    AssetStatus,
    Cue,
    CustodyTransferred,
    HandheldAction,
    Observation,
    PortalDirection,
    TurnaroundRecorded,
)

OUT, IN = PortalDirection.outbound, PortalDirection.inbound


def test_outbound_pass_of_a_dispatched_asset_hands_it_to_the_custodian() -> None:
    state, events = run(fresh(), [portal(10, OUT, dispatch=DISPATCH)])

    assert (state.status, state.custodian_id, state.dispatch_id) == (
        AssetStatus.in_transit,
        ACME,
        "d-1",
    )
    assert state.site_id is None
    transfer = of_type(events, CustodyTransferred)
    assert [(t.from_custodian_id, t.to_custodian_id, t.dispatch_id) for t in transfer] == [
        (HOME_CUSTODIAN, ACME, "d-1")
    ]
    assert [(e.site_id, e.dispatch_id) for e in of_type(events, AssetLeftSite)] == [(HOME, "d-1")]
    assert of_type(events, AlertRaised) == []


def test_handheld_check_out_of_a_dispatched_asset_hands_it_to_the_dispatch_custodian() -> None:
    # The dispatch's custodian wins over a custodian typed on the scanner.
    check_out = handheld(10, HandheldAction.check_out, custodian=CARRIER, dispatch=DISPATCH)

    state, events = run(fresh(), [check_out])

    assert (state.status, state.custodian_id) == (AssetStatus.in_transit, ACME)
    assert len(of_type(events, CustodyTransferred)) == 1


def test_check_out_to_a_person_without_dispatch_moves_custody_to_that_person() -> None:
    state, events = run(fresh(), [handheld(10, HandheldAction.check_out, custodian="tech-4")])

    assert state.custodian_id == "tech-4"
    assert state.dispatch_id is None
    assert of_type(events, AlertRaised) == []


def test_leaving_again_for_the_same_holder_is_not_a_custody_transfer() -> None:
    # Went missing while at ACME, then turns up leaving our dock on the same dispatch.
    at_acme: list[Observation] = [portal(10, OUT, dispatch=DISPATCH), external(60)]
    state, _ = run(fresh(), [*at_acme, observation_for(Cue.marked_missing, 90, None)])

    after, events = run(state, [portal(120, OUT, dispatch=DISPATCH)])

    assert (after.status, after.custodian_id) == (AssetStatus.in_transit, ACME)
    assert after.custody_since == at(10)
    assert of_type(events, CustodyTransferred) == []


def test_leaving_on_a_new_dispatch_closes_the_one_whose_return_was_missed() -> None:
    # Back from ACME through a door whose reader was down, then out again to the carrier.
    state, _ = run(fresh(), [portal(10, OUT, dispatch=DISPATCH)])

    after, events = run(state, [portal(300, OUT, dispatch=SECOND_DISPATCH)])

    (turnaround,) = of_type(events, TurnaroundRecorded)
    assert (turnaround.dispatch_id, turnaround.return_seen) == ("d-1", False)
    transfers = of_type(events, CustodyTransferred)
    assert [(t.from_custodian_id, t.to_custodian_id, t.dispatch_id) for t in transfers] == [
        (ACME, CARRIER, "d-2")
    ]
    assert (after.dispatch_id, after.custodian_id, after.custody_since) == ("d-2", CARRIER, at(300))


def test_an_asset_back_from_a_customer_unseen_can_leave_on_a_new_dispatch() -> None:
    state, _ = run(fresh(), [portal(10, OUT, dispatch=DISPATCH), external(60)])
    assert state.status is AssetStatus.at_custodian

    after, events = run(state, [portal(300, OUT, dispatch=SECOND_DISPATCH)])

    assert (after.status, after.custodian_id) == (AssetStatus.in_transit, CARRIER)
    assert [t.return_seen for t in of_type(events, TurnaroundRecorded)] == [False]


def test_a_new_dispatch_to_the_same_custodian_restarts_the_custody_clock() -> None:
    again_to_acme = replace(DISPATCH, dispatch_id="d-3")
    state, _ = run(fresh(), [portal(10, OUT, dispatch=DISPATCH)])

    after, events = run(state, [portal(300, OUT, dispatch=again_to_acme)])

    assert [t.dispatch_id for t in of_type(events, TurnaroundRecorded)] == ["d-1"]
    assert of_type(events, CustodyTransferred) == []
    assert (after.dispatch_id, after.custody_since) == ("d-3", at(300))


def test_outbound_pass_without_open_dispatch_raises_unauthorized_exit() -> None:
    state, events = run(fresh(), [portal(10, OUT)])

    alerts = of_type(events, AlertRaised)
    assert [(a.alert_kind, a.site_id) for a in alerts] == [("unauthorized_exit", HOME)]
    assert state.custodian_id == HOME_CUSTODIAN
    assert of_type(events, CustodyTransferred) == []


def test_inbound_pass_brings_custody_home_and_records_the_turnaround() -> None:
    state, events = run(fresh(), [portal(10, OUT, dispatch=DISPATCH), portal(70, IN)])

    assert (state.status, state.custodian_id, state.dispatch_id) == (
        AssetStatus.in_service,
        HOME_CUSTODIAN,
        None,
    )
    (turnaround,) = of_type(events, TurnaroundRecorded)
    assert turnaround.dispatch_id == "d-1"
    assert turnaround.custodian_id == ACME
    assert turnaround.duration == timedelta(hours=1)
    assert turnaround.overdue is False
    assert turnaround.returned_by_custodian_id is None
    assert of_type(events, AlertResolved) == []


def test_a_late_return_is_flagged_overdue_and_resolves_overdue_return() -> None:
    returned = zone_entered(60 * 24 * 20)  # day 20, expected back on day 14

    _, events = run(fresh(), [portal(10, OUT, dispatch=DISPATCH), returned])

    (turnaround,) = of_type(events, TurnaroundRecorded)
    assert turnaround.overdue is True
    assert [r.alert_kind for r in of_type(events, AlertResolved)] == ["overdue_return"]


def test_check_in_by_a_different_custodian_is_recorded_on_the_turnaround() -> None:
    check_in = handheld(90, HandheldAction.check_in, custodian=CARRIER)

    state, events = run(fresh(), [portal(10, OUT, dispatch=DISPATCH), check_in])

    assert state.custodian_id == HOME_CUSTODIAN
    (turnaround,) = of_type(events, TurnaroundRecorded)
    assert turnaround.returned_by_custodian_id == CARRIER


def test_return_to_another_of_our_sites_is_recorded_as_away_from_home() -> None:
    back_elsewhere = portal(90, IN, site=OTHER_SITE)

    state, events = run(fresh(), [portal(10, OUT, dispatch=DISPATCH), back_elsewhere])

    assert (state.status, state.site_id, state.custodian_id) == (
        AssetStatus.in_service,
        OTHER_SITE,
        HOME_CUSTODIAN,
    )
    assert [(a.site_id, a.at_home) for a in of_type(events, AssetArrived)] == [(OTHER_SITE, False)]
    (turnaround,) = of_type(events, TurnaroundRecorded)
    assert turnaround.returned_to_site_id == OTHER_SITE
