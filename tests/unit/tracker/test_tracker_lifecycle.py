"""Every transition of the lifecycle, and every (status, cue) pair that changes nothing."""

from __future__ import annotations

import pytest
from tracker_builders import (
    ACME,
    CARRIER,
    CUSTOMER_SITE,
    DISPATCH,
    HOME_CUSTODIAN,
    OTHER_SITE,
    SECOND_DISPATCH,
    external,
    handheld,
    observation_for,
    of_type,
    portal,
    state_in,
    zone_entered,
)

from tracker.domain import (
    TRANSITIONS,
    AlertRaised,
    AssetStatus,
    AssetStatusChanged,
    Cue,
    CustodyChange,
    CustodyTransferred,
    HandheldAction,
    Observation,
    PortalDirection,
    Transition,
    ZoneKind,
    apply,
    cue_of,
)
from tracker.domain.lifecycle import next_transition

S, C = AssetStatus, Cue
KEEP, RECEIVER, HOME = CustodyChange.keep, CustodyChange.to_receiver, CustodyChange.home

# The lifecycle as the product defines it, written out by hand so the table is checked
# against it rather than against itself.
LIFECYCLE: list[tuple[AssetStatus, Cue, AssetStatus, CustodyChange]] = [
    (S.in_service, C.exited, S.in_transit, RECEIVER),
    (S.in_service, C.seen_external, S.at_custodian, RECEIVER),
    (S.in_service, C.marked_missing, S.missing, KEEP),
    (S.in_service, C.recovery_opened, S.in_recovery, KEEP),
    (S.in_service, C.retired, S.retired, KEEP),
    (S.in_transit, C.exited, S.in_transit, RECEIVER),
    (S.in_transit, C.seen_external, S.at_custodian, KEEP),
    (S.in_transit, C.seen_on_site, S.in_service, HOME),
    (S.in_transit, C.marked_missing, S.missing, KEEP),
    (S.at_custodian, C.exited, S.in_transit, RECEIVER),
    (S.at_custodian, C.left_external, S.in_transit, KEEP),
    (S.at_custodian, C.seen_on_site, S.in_service, HOME),
    (S.at_custodian, C.marked_missing, S.missing, KEEP),
    (S.missing, C.exited, S.in_transit, RECEIVER),
    (S.missing, C.seen_on_site, S.in_service, HOME),
    (S.missing, C.seen_external, S.at_custodian, KEEP),
    (S.missing, C.left_external, S.in_transit, KEEP),
    (S.missing, C.written_off, S.lost, KEEP),
    (S.missing, C.retired, S.retired, KEEP),
    (S.lost, C.exited, S.in_transit, RECEIVER),
    (S.lost, C.seen_on_site, S.in_service, HOME),
    (S.lost, C.seen_external, S.at_custodian, KEEP),
    (S.lost, C.left_external, S.in_transit, KEEP),
    (S.lost, C.retired, S.retired, KEEP),
    (S.in_recovery, C.exited, S.in_transit, RECEIVER),
    (S.in_recovery, C.redeployed, S.in_service, HOME),
    (S.in_recovery, C.retired, S.retired, KEEP),
]
SPECIFIED = {(status, cue) for status, cue, _, _ in LIFECYCLE}
ABSENT = [(status, cue) for status in AssetStatus for cue in Cue if (status, cue) not in SPECIFIED]


def test_the_table_is_exactly_the_specified_lifecycle() -> None:
    specified = {(s, c): Transition(to, custody) for s, c, to, custody in LIFECYCLE}
    assert dict(TRANSITIONS) == specified


def _expected_custodian(before_custodian: str, change: CustodyChange) -> str:
    # SECOND_DISPATCH goes to the carrier, so a hand-over is visible from any holder.
    expected: dict[CustodyChange, str] = {
        CustodyChange.keep: before_custodian,
        CustodyChange.home: HOME_CUSTODIAN,
        CustodyChange.to_receiver: CARRIER,
    }
    return expected[change]


@pytest.mark.parametrize(("status", "cue", "to_status", "custody"), LIFECYCLE, ids=str)
def test_every_transition_moves_status_and_custody(
    status: AssetStatus, cue: Cue, to_status: AssetStatus, custody: CustodyChange
) -> None:
    before = state_in(status)
    observation = observation_for(cue, 1_000, SECOND_DISPATCH)

    after, events = apply(before, observation, observation.seen_at)

    assert after.status is to_status
    assert after.custodian_id == _expected_custodian(before.custodian_id, custody)
    changes = of_type(events, AssetStatusChanged)
    if to_status is status:
        assert changes == []
    else:
        assert [(c.from_status, c.to_status, c.cause) for c in changes] == [
            (status, to_status, cue)
        ]


@pytest.mark.parametrize(("status", "cue"), ABSENT, ids=str)
def test_a_pair_outside_the_table_changes_neither_status_nor_custody(
    status: AssetStatus, cue: Cue
) -> None:
    before = state_in(status)
    observation = observation_for(cue, 1_000, SECOND_DISPATCH)

    after, events = apply(before, observation, observation.seen_at)

    assert after.status is status
    assert after.custodian_id == before.custodian_id
    assert of_type(events, AssetStatusChanged) == []
    assert of_type(events, CustodyTransferred) == []


def test_retired_has_no_way_out() -> None:
    assert [cue for cue in Cue if next_transition(AssetStatus.retired, cue)] == []


def test_every_status_but_retired_can_change() -> None:
    reachable_from = {status for status, _ in TRANSITIONS}
    assert reachable_from == set(AssetStatus) - {AssetStatus.retired}


def test_the_round_trip_runs_through_the_table() -> None:
    """in_service -> in_transit -> at_custodian -> in_transit -> in_service."""
    loop = [
        (AssetStatus.in_service, Cue.exited, AssetStatus.in_transit),
        (AssetStatus.in_transit, Cue.seen_external, AssetStatus.at_custodian),
        (AssetStatus.at_custodian, Cue.left_external, AssetStatus.in_transit),
        (AssetStatus.in_transit, Cue.seen_on_site, AssetStatus.in_service),
    ]
    for status, cue, expected in loop:
        transition = next_transition(status, cue)
        assert transition is not None
        assert transition.to_status is expected


def test_the_round_trip_hands_custody_out_and_back() -> None:
    state = state_in(AssetStatus.in_service)
    custodians = []
    for minute, cue in enumerate(
        [Cue.exited, Cue.seen_external, Cue.left_external, Cue.seen_on_site], start=100
    ):
        observation = observation_for(cue, minute, DISPATCH)
        state, _ = apply(state, observation, observation.seen_at)
        custodians.append((state.status, state.custodian_id))
    assert custodians == [
        (AssetStatus.in_transit, ACME),
        (AssetStatus.at_custodian, ACME),
        (AssetStatus.in_transit, ACME),
        (AssetStatus.in_service, HOME_CUSTODIAN),
    ]


@pytest.mark.parametrize(
    "status", [AssetStatus.in_service, AssetStatus.missing, AssetStatus.in_recovery]
)
def test_exit_without_anyone_to_receive_it_keeps_custody_and_alerts(status: AssetStatus) -> None:
    before = state_in(status)
    observation = observation_for(Cue.exited, 1_000, None)

    after, events = apply(before, observation, observation.seen_at)

    assert after.status is AssetStatus.in_transit
    assert after.custodian_id == before.custodian_id
    assert [alert.alert_kind for alert in of_type(events, AlertRaised)] == ["unauthorized_exit"]


OUT, IN = PortalDirection.outbound, PortalDirection.inbound
EXTERNAL = ZoneKind.external
CUES_OF_SIGHTINGS = [
    (zone_entered(1), Cue.seen_on_site),
    (zone_entered(1, site=OTHER_SITE, kind=ZoneKind.yard), Cue.seen_on_site),
    (external(1), Cue.seen_external),
    (portal(1, OUT), Cue.exited),
    (portal(1, IN), Cue.seen_on_site),
    (portal(1, OUT, site=CUSTOMER_SITE, kind=EXTERNAL), Cue.left_external),
    (portal(1, IN, site=CUSTOMER_SITE, kind=EXTERNAL), Cue.seen_external),
    (handheld(1, HandheldAction.check_out), Cue.exited),
    (handheld(1, HandheldAction.check_in), Cue.seen_on_site),
    # Checked in at a customer's counter still means "back with us".
    (handheld(1, HandheldAction.check_in, zone_kind=EXTERNAL), Cue.seen_on_site),
    (handheld(1, HandheldAction.scan), Cue.seen_on_site),
    (handheld(1, HandheldAction.audit, zone_kind=ZoneKind.storage), Cue.seen_on_site),
    (handheld(1, HandheldAction.scan, zone_kind=EXTERNAL), Cue.seen_external),
]


@pytest.mark.parametrize(("observation", "cue"), CUES_OF_SIGHTINGS, ids=lambda v: str(v)[:40])
def test_what_each_sighting_means_for_the_lifecycle(observation: Observation, cue: Cue) -> None:
    assert cue_of(observation) is cue


@pytest.mark.parametrize("cue", sorted(Cue))
def test_each_cue_has_an_observation_that_means_it(cue: Cue) -> None:
    assert cue_of(observation_for(cue, 1, None)) is cue
