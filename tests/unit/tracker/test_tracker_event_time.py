"""Event time in `apply`: duplicates, late observations, clamped clocks, tz-aware input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tracker_builders import (
    DISPATCH,
    HOME,
    at,
    external,
    fresh,
    of_type,
    portal,
    position,
    run,
    zone_entered,
)

from tracker.domain import (
    ClockClamped,
    Observation,
    ObservationRecordedLate,
    PortalDirection,
    ZoneEntered,
    ZoneKind,
    apply,
)

OUT = PortalDirection.outbound


def test_the_same_observation_twice_changes_nothing_the_second_time() -> None:
    outbound = portal(10, OUT, dispatch=DISPATCH)
    once, first_events = apply(fresh(), outbound, at(10))

    twice, second_events = apply(once, outbound, at(11))

    assert first_events
    assert (twice, second_events) == (once, [])


def test_a_resent_batch_is_ignored_even_when_duplicates_are_not_adjacent() -> None:
    batch: list[Observation] = [zone_entered(10), portal(20, OUT, dispatch=DISPATCH), external(30)]
    once, _ = run(fresh(), batch)

    again, events = run(once, batch, now=at(40))

    assert (again, events) == (once, [])


def test_the_last_applied_observation_is_a_duplicate_even_after_a_reload() -> None:
    outbound = portal(10, OUT, dispatch=DISPATCH)
    applied, _ = apply(fresh(), outbound, at(10))
    reloaded = position(applied)  # a store that keeps only last_applied

    again, events = apply(reloaded, outbound, at(20))

    assert (again, events) == (reloaded, [])


def test_a_late_observation_delivered_twice_is_recorded_late_once() -> None:
    state, _ = run(fresh(), [zone_entered(100)])
    stale = zone_entered(5, zone="z-yard")

    state, first = apply(state, stale, at(200))
    _, second = apply(state, stale, at(201))

    assert [e.kind for e in first] == ["observation_recorded_late"]
    assert second == []


def test_a_late_observation_is_only_recorded_as_late() -> None:
    state, _ = run(fresh(), [portal(10, OUT, dispatch=DISPATCH), external(200)])
    stale = zone_entered(5, zone="z-yard")

    after, events = apply(state, stale, at(300))

    assert position(after) == position(state)
    assert [type(e) for e in events] == [ObservationRecordedLate]
    (late,) = of_type(events, ObservationRecordedLate)
    assert (late.observation_kind, late.occurred_at, late.last_applied_at) == (
        "zone_entered",
        at(5),
        at(200),
    )


def test_same_seen_at_is_ordered_by_observation_id() -> None:
    first = ZoneEntered(
        observation_id="b",
        seen_at=at(10),
        site_id=HOME,
        zone_id="z-yard",
        zone_kind=ZoneKind.yard,
        read_point_id="rp",
    )
    tie = ZoneEntered(
        observation_id="a",
        seen_at=at(10),
        site_id=HOME,
        zone_id="z-storage",
        zone_kind=ZoneKind.storage,
        read_point_id="rp",
    )
    state, _ = run(fresh(), [first])

    after, events = apply(state, tie, at(10))

    assert position(after) == position(state)
    assert [e.kind for e in events] == ["observation_recorded_late"]


def test_a_reader_clock_far_ahead_is_clamped_to_now_and_flagged() -> None:
    now = at(100)
    ahead = zone_entered(100 + 6, zone="z-yard")

    state, events = apply(fresh(), ahead, now)

    assert state.last_seen_at == now
    clamps = of_type(events, ClockClamped)
    assert [(c.reported_seen_at, c.occurred_at) for c in clamps] == [(at(106), now)]
    assert all(event.occurred_at == now for event in events)


def test_a_reader_clock_slightly_ahead_is_trusted() -> None:
    state, events = apply(fresh(), zone_entered(104, zone="z-yard"), at(100))

    assert state.last_seen_at == at(104)
    assert of_type(events, ClockClamped) == []


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 11, 2, 8, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        ZoneEntered(
            observation_id="x",
            seen_at=naive,
            site_id=HOME,
            zone_id="z",
            zone_kind=ZoneKind.dock,
            read_point_id="rp",
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        apply(fresh(), zone_entered(0), naive)


def test_every_event_is_stamped_with_asset_observation_and_event_time() -> None:
    outbound = portal(10, OUT, dispatch=DISPATCH)

    _, events = apply(fresh(), outbound, datetime(2030, 1, 1, tzinfo=UTC))

    assert events
    assert {(e.asset_id, e.observation_id, e.occurred_at) for e in events} == {
        ("asset-1", outbound.observation_id, at(10))
    }
