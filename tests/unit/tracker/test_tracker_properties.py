"""Invariants over random observation sequences, delivered late, twice, and out of order."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tracker_builders import (
    ACME,
    CARRIER,
    CUSTOMER_SITE,
    DISPATCH,
    HOME,
    HOME_CUSTODIAN,
    OTHER_SITE,
    SECOND_DISPATCH,
    T0,
    fresh,
    position,
)

from tracker.domain import (
    CLOCK_SKEW_TOLERANCE,
    TRANSITIONS,
    AssetState,
    AssetStatus,
    AssetStatusChanged,
    CustodyTransferred,
    Event,
    HandheldAction,
    HandheldScanned,
    MarkedMissing,
    MissingSource,
    Observation,
    ObservationRecordedLate,
    OpenDispatch,
    PortalDirection,
    PortalPassed,
    RecoveryOpened,
    Redeployed,
    Retired,
    WrittenOff,
    ZoneEntered,
    ZoneKind,
    apply,
)

PLACES = [
    (HOME, "z-storage", ZoneKind.storage),
    (HOME, "z-dock", ZoneKind.dock),
    (HOME, "z-repair", ZoneKind.repair),
    (OTHER_SITE, "z-other", ZoneKind.yard),
    (CUSTOMER_SITE, "z-acme", ZoneKind.external),
]

# Reader clocks wander around an hourly rhythm, enough to put neighbours out of order.
jitter = st.integers(min_value=-40, max_value=40)
places = st.sampled_from(PLACES)
dispatches = st.sampled_from([None, DISPATCH, SECOND_DISPATCH])


def _zone(
    oid: str, seen_at: datetime, place: tuple[str, str, ZoneKind], dispatch: OpenDispatch | None
) -> ZoneEntered:
    site, zone, kind = place
    return ZoneEntered(
        observation_id=oid,
        seen_at=seen_at,
        site_id=site,
        zone_id=zone,
        zone_kind=kind,
        read_point_id=f"rp-{zone}",
        open_dispatch=dispatch,
    )


def _decisions(oid: str, seen_at: datetime) -> list[Observation]:
    return [
        MarkedMissing(observation_id=oid, seen_at=seen_at, source=MissingSource.audit),
        WrittenOff(observation_id=oid, seen_at=seen_at),
        RecoveryOpened(observation_id=oid, seen_at=seen_at, recovery_id="r"),
        Redeployed(observation_id=oid, seen_at=seen_at),
        Retired(observation_id=oid, seen_at=seen_at, reason="end of life"),
    ]


@st.composite
def observations(draw: st.DrawFn, oid: str, seen_at: datetime) -> Observation:
    site, zone, kind = draw(places)
    dispatch = draw(dispatches)
    # Sightings far outnumber decisions, as on a real floor; retired would otherwise swamp runs.
    choice = draw(st.integers(min_value=0, max_value=14))
    if choice < 3:
        return _zone(oid, seen_at, (site, zone, kind), dispatch)
    if choice < 6:
        return PortalPassed(
            observation_id=oid,
            seen_at=seen_at,
            direction=draw(st.sampled_from(PortalDirection)),
            site_id=site,
            zone_id=zone,
            read_point_id="door",
            zone_kind=kind,
            open_dispatch=dispatch,
        )
    if choice < 10:
        return HandheldScanned(
            observation_id=oid,
            seen_at=seen_at,
            action=draw(st.sampled_from(HandheldAction)),
            operator="op",
            site_id=site,
            zone_id=draw(st.sampled_from([None, zone])),
            zone_kind=kind,
            custodian_id=draw(st.sampled_from([None, ACME, CARRIER, "tech-4"])),
            open_dispatch=dispatch,
        )
    return _decisions(oid, seen_at)[choice - 10]


@st.composite
def deliveries(draw: st.DrawFn) -> list[tuple[Observation, datetime]]:
    """Observations roughly an hour apart, delivered with swaps and repeats, each with a `now`."""
    count = draw(st.integers(min_value=1, max_value=25))
    distinct = [
        draw(observations(f"obs-{i}", T0 + timedelta(minutes=60 * i + draw(jitter))))
        for i in range(count)
    ]
    order = list(range(count))
    for a, b in draw(
        st.lists(st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)), max_size=4)
    ):
        order[a], order[b] = order[b], order[a]
    for at_index, repeat in draw(
        st.lists(st.tuples(st.integers(0, count), st.integers(0, count - 1)), max_size=6)
    ):
        order.insert(at_index, repeat)
    picks = [distinct[i] for i in order]
    # The consumer's clock moves forward; readers' clocks may run ahead of it (clamping).
    lags = draw(st.lists(st.integers(-30, 240), min_size=len(picks), max_size=len(picks)))
    nows = _running_max(
        [p.seen_at + timedelta(minutes=lag) for p, lag in zip(picks, lags, strict=True)]
    )
    return list(zip(picks, nows, strict=True))


def _running_max(values: list[datetime]) -> list[datetime]:
    out, top = [], values[0]
    for value in values:
        top = max(top, value)
        out.append(top)
    return out


def _walk(
    deliveries: list[tuple[Observation, datetime]],
) -> list[tuple[AssetState, Observation, datetime, AssetState, list[Event]]]:
    state, steps = fresh(), []
    for observation, now in deliveries:
        after, events = apply(state, observation, now)
        steps.append((state, observation, now, after, events))
        state = after
    return steps


@settings(max_examples=300)
@given(deliveries())
def test_exactly_one_custodian_at_any_time(plan: list[tuple[Observation, datetime]]) -> None:
    for before, _, _, after, events in _walk(plan):
        assert after.custodian_id
        transfers = [e for e in events if isinstance(e, CustodyTransferred)]
        if after.custodian_id == before.custodian_id:
            assert transfers == []
        else:
            # The one holder hands over to the next: no gap, no second holder.
            assert [(t.from_custodian_id, t.to_custodian_id) for t in transfers] == [
                (before.custodian_id, after.custodian_id)
            ]
        if after.status is AssetStatus.in_service:
            assert after.custodian_id == HOME_CUSTODIAN


@settings(max_examples=300)
@given(deliveries())
def test_nothing_leaves_retired(plan: list[tuple[Observation, datetime]]) -> None:
    for before, _, _, after, events in _walk(plan):
        if before.status is AssetStatus.retired:
            assert after.status is AssetStatus.retired
            assert (after.site_id, after.zone_id, after.custodian_id) == (
                before.site_id,
                before.zone_id,
                before.custodian_id,
            )
            assert not any(isinstance(e, AssetStatusChanged) for e in events)


@settings(max_examples=300)
@given(deliveries())
def test_a_late_observation_never_regresses_state(
    plan: list[tuple[Observation, datetime]],
) -> None:
    for before, observation, now, after, events in _walk(plan):
        last = before.last_applied
        if last is None or observation.observation_id in before.recent_observation_ids:
            continue  # a duplicate, covered by the idempotence property
        clamped = observation.seen_at - now > CLOCK_SKEW_TOLERANCE
        effective = now if clamped else observation.seen_at
        if (effective, observation.observation_id) < (last.seen_at, last.observation_id):
            assert position(after) == position(before)
            assert [type(e) for e in events] == [ObservationRecordedLate]


@settings(max_examples=300)
@given(deliveries(), st.integers(min_value=1, max_value=600))
def test_an_observation_older_than_the_last_applied_changes_nothing(
    plan: list[tuple[Observation, datetime]], minutes_older: int
) -> None:
    state = _walk(plan)[-1][3]
    last = state.last_applied
    if last is None:
        return
    stale = _zone("stale", last.seen_at - timedelta(minutes=minutes_older), PLACES[3], DISPATCH)

    after, events = apply(state, stale, last.seen_at)

    assert position(after) == position(state)
    assert [type(e) for e in events] == [ObservationRecordedLate]


@settings(max_examples=300)
@given(deliveries())
def test_applying_the_same_observation_twice_equals_applying_it_once(
    plan: list[tuple[Observation, datetime]],
) -> None:
    for _, observation, now, after, _ in _walk(plan):
        again, events = apply(after, observation, now + timedelta(minutes=1))
        assert again == after
        assert events == []


@settings(max_examples=300)
@given(deliveries())
def test_every_status_change_is_a_row_of_the_table(
    plan: list[tuple[Observation, datetime]],
) -> None:
    for before, _, _, after, events in _walk(plan):
        changes = [e for e in events if isinstance(e, AssetStatusChanged)]
        assert len(changes) == (1 if after.status is not before.status else 0)
        for change in changes:
            row = TRANSITIONS[(change.from_status, change.cause)]
            assert (change.from_status, row.to_status) == (before.status, after.status)
