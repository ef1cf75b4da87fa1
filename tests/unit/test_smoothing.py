"""The read smoother: presences, door passes, cross-reads, late reads, and replays that agree."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.smoothing import (
    DoorPassed,
    LateSighting,
    PresenceConfirmed,
    PresenceKey,
    PresenceRow,
    ReadPoint,
    Sighting,
    Smoothed,
    Smoother,
)

SECOND = 1_000_000
ABSENCE = 2 * SECOND
CROSS = SECOND // 2
T0 = 1_764_000_000 * SECOND  # 2025-11-24, an epoch-µs reader clock

DOCK = ReadPoint("dock-a-1", "site-1", "dock-a", "dock", "zone", None)
DOCK_2 = ReadPoint("dock-a-2", "site-1", "dock-a", "dock", "zone", None)
RACK = ReadPoint("rack-7", "site-1", "storage-1", "storage", "zone", None)
DOOR1_IN = ReadPoint("door1-in", "site-1", "dock-a", "dock", "portal_inside", "door-1")
DOOR1_OUT = ReadPoint("door1-out", "site-1", "yard", "yard", "portal_outside", "door-1")
DOOR2_IN = ReadPoint("door2-in", "site-1", "dock-a", "dock", "portal_inside", "door-2")
DOOR2_OUT = ReadPoint("door2-out", "site-1", "yard", "yard", "portal_outside", "door-2")
HANDHELD = ReadPoint("tc52", "site-1", "dock-a", "dock", "handheld", None)


def read(tag: str, point: ReadPoint, at_us: int, rssi: float | None = -50.0) -> Sighting:
    return Sighting(tag, point, at_us, rssi, 1, f"{point.id}/{tag}/{at_us}")


def feed_all(smoother: Smoother, sightings: Iterable[Sighting]) -> list[Smoothed]:
    return [out for sighting in sightings for out in smoother.feed(sighting)]


def smoother() -> Smoother:
    return Smoother(absence_us=ABSENCE, cross_read_us=CROSS)


def door_pass(
    tag: str, first: ReadPoint, second: ReadPoint, start_us: int, peak: float = -45.0
) -> list[Sighting]:
    """A pallet carried through a portal: 200 reads, the first antenna peaking first."""
    sightings = []
    for step in range(100):
        at_us = start_us + step * 20_000
        # RSSI rises towards each antenna's moment of closest approach, then falls.
        near_first, near_second = abs(step - 25), abs(step - 75)
        sightings.append(read(tag, first, at_us, peak - near_first * 0.4))
        sightings.append(read(tag, second, at_us + 5_000, peak - near_second * 0.4))
    return sightings


def test_presence_starts_extends_and_ends_after_an_absence() -> None:
    sm = smoother()
    outputs = feed_all(sm, [read("pallet-1", DOCK, T0 + at) for at in (0, SECOND // 4, CROSS)])
    assert outputs == [PresenceConfirmed("pallet-1", DOCK, T0, f"dock-a-1/pallet-1/{T0}:p")]
    assert sm.repeats == 2
    # A gap of exactly absence_us still extends the presence: nothing new to confirm.
    assert sm.feed(read("pallet-1", DOCK, T0 + CROSS + ABSENCE)) == []
    assert sm.advance(T0 + CROSS + 2 * ABSENCE) == []
    # One µs more silence ended it; the next read starts a new presence.
    again = T0 + CROSS + 2 * ABSENCE + 1
    assert sm.feed(read("pallet-1", DOCK, again)) == []
    assert sm.advance(again + CROSS) == [
        PresenceConfirmed("pallet-1", DOCK, again, f"dock-a-1/pallet-1/{again}:p")
    ]
    assert sm.repeats == 3


def test_inside_then_outside_is_one_outbound_pass() -> None:
    sm = smoother()
    outputs = feed_all(sm, door_pass("pallet-1", DOOR1_IN, DOOR1_OUT, T0))
    assert outputs == []  # the visit is decided when it ends, not while the tag is still there
    outputs = sm.advance(T0 + 4 * SECOND)
    assert outputs == [
        DoorPassed(
            "pallet-1", "door-1", "site-1", "yard", "door1-out", "outbound",
            T0 + 75 * 20_000 + 5_000, f"door1-in/pallet-1/{T0}:d",
        )
    ]  # fmt: skip
    assert sm.strays == 0


def test_outside_then_inside_is_one_inbound_pass() -> None:
    sm = smoother()
    feed_all(sm, door_pass("pallet-1", DOOR1_OUT, DOOR1_IN, T0))
    (passed,) = sm.advance(T0 + 4 * SECOND)
    assert isinstance(passed, DoorPassed)
    assert (passed.direction, passed.zone_id, passed.read_point_id) == (
        "inbound",
        "dock-a",
        "door1-in",
    )


def test_a_tag_standing_near_a_door_passes_nowhere() -> None:
    sm = smoother()
    standing = [
        read("pallet-1", point, T0 + step * 100_000, -72.0 - step % 3)
        for step in range(300)
        for point in (DOOR1_IN, DOOR1_OUT)
    ]
    assert feed_all(sm, standing) == []
    assert sm.advance(T0 + 60 * SECOND) == []
    assert sm.strays == 1


def test_a_tag_heard_by_one_side_only_passes_nowhere() -> None:
    sm = smoother()
    feed_all(sm, [read("pallet-1", DOOR1_IN, T0 + step * 10_000, -40.0) for step in range(50)])
    assert sm.advance(T0 + 10 * SECOND) == []
    assert sm.strays == 1


def test_the_neighbouring_door_cross_read_is_suppressed_and_the_strong_door_wins() -> None:
    sm = smoother()
    strong = door_pass("pallet-1", DOOR1_IN, DOOR1_OUT, T0, peak=-42.0)
    # Door 2 hears the same pass, in the same order and above the portal threshold, but weaker.
    weak = door_pass("pallet-1", DOOR2_IN, DOOR2_OUT, T0 + 1_000, peak=-58.0)
    feed_all(sm, sorted(strong + weak, key=lambda s: s.seen_us))
    outputs = sm.advance(T0 + 10 * SECOND)
    assert [(out.door, out.direction) for out in outputs if isinstance(out, DoorPassed)] == [
        ("door-1", "outbound")
    ]
    assert len(outputs) == 1
    assert sm.cross_reads == 1


def test_a_cross_read_stays_suppressed_while_the_tag_lingers_at_the_weaker_door() -> None:
    sm = smoother()
    strong = door_pass("pallet-1", DOOR2_IN, DOOR2_OUT, T0, peak=-42.0)
    weak = door_pass("pallet-1", DOOR1_IN, DOOR1_OUT, T0 + 1_000, peak=-58.0)
    # Staged next to door 1 afterwards: its visit there outlives door 2's by far, and is
    # decided only when it ends, when door 2's visit must still be there to outrank it.
    staged = [read("pallet-1", DOOR1_IN, T0 + 2 * SECOND + n * CROSS, -75.0) for n in range(40)]
    outputs = feed_all(sm, [*sorted(strong + weak, key=lambda s: s.seen_us), *staged])
    outputs += sm.advance(T0 + 60 * SECOND)
    assert [(out.door, out.direction) for out in outputs if isinstance(out, DoorPassed)] == [
        ("door-2", "outbound")
    ]
    assert len(outputs) == 1
    assert sm.cross_reads == 1


def test_a_zone_cross_read_is_suppressed_and_two_antennas_of_one_zone_are_not() -> None:
    sm = smoother()
    reads = [read("pallet-1", RACK, T0 + step * 50_000, -48.0) for step in range(40)]
    reads += [read("pallet-1", DOCK, T0 + 30_000 + step * 50_000, -66.0) for step in range(40)]
    reads += [read("pallet-1", DOCK_2, T0 + 40_000 + step * 50_000, -70.0) for step in range(40)]
    confirmed = feed_all(sm, sorted(reads, key=lambda s: s.seen_us))
    confirmed += sm.advance(T0 + 10 * SECOND)
    assert [out.read_point.id for out in confirmed if isinstance(out, PresenceConfirmed)] == [
        "rack-7"
    ]
    assert sm.cross_reads == 2  # both dock antennas lose to the rack; neither to the other


def test_equal_peaks_resolve_to_the_lower_read_point_id() -> None:
    sm = smoother()
    feed_all(sm, [read("pallet-1", RACK, T0, -50.0), read("pallet-1", DOCK, T0, -50.0)])
    (confirmed,) = sm.advance(T0 + CROSS)
    assert isinstance(confirmed, PresenceConfirmed)
    assert confirmed.read_point == DOCK  # "dock-a-1" < "rack-7"


def test_a_late_read_is_reported_and_changes_nothing() -> None:
    sm = smoother()
    sm.feed(read("pallet-1", DOCK, T0 + 10 * SECOND))
    sm.drain_changes()
    too_old = read("pallet-2", DOCK, T0 + 10 * SECOND - ABSENCE - 1)
    assert sm.feed(too_old) == [LateSighting("pallet-2", DOCK, too_old.seen_us, too_old.read_id)]
    assert (sm.late, sm.drain_changes(), sm.watermark_us) == (1, ([], []), T0 + 10 * SECOND)
    # Exactly absence_us old is still on time: it opens a presence, confirmed at once.
    on_time = read("pallet-2", DOCK, T0 + 10 * SECOND - ABSENCE)
    assert sm.feed(on_time) == [
        PresenceConfirmed("pallet-2", DOCK, on_time.seen_us, on_time.read_id + ":p")
    ]


def test_time_moves_only_with_reads_and_advance(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_clock() -> float:
        raise AssertionError("the smoother read a clock")

    sm = smoother()
    with monkeypatch.context() as patch:
        for name in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter"):
            patch.setattr(time, name, no_clock)
        assert sm.feed(read("pallet-1", DOCK, T0)) == []
        assert sm.advance(T0 + CROSS - 1) == []
        assert sm.advance(T0) == []  # behind the watermark: nothing moves back
        assert sm.watermark_us == T0 + CROSS - 1
        assert sm.advance(T0 + CROSS) == [
            PresenceConfirmed("pallet-1", DOCK, T0, f"dock-a-1/pallet-1/{T0}:p")
        ]


def test_an_idle_partition_needs_ticks_only_while_windows_are_held() -> None:
    sm = smoother()
    assert not sm.has_open_windows()
    sm.feed(read("pallet-1", DOCK, T0))
    sm.advance(T0 + CROSS)  # confirmed, but still held to outrank later cross-reads
    assert sm.has_open_windows()
    sm.advance(T0 + ABSENCE + CROSS + 1)
    assert not sm.has_open_windows()


def test_what_falls_due_together_comes_out_by_due_time_then_tag_then_read_point() -> None:
    sm = smoother()
    feed_all(
        sm,
        [
            read("c", RACK, T0),
            read("b", RACK, T0),
            read("b", DOCK, T0, -60.0),
            read("a", RACK, T0 + 1),
            read("b", DOOR1_IN, T0 + 2, -70.0),  # a weak door visit outranks nothing
        ],
    )
    outputs = sm.advance(T0 + 10 * SECOND)
    assert [(out.tag, out.at_us) for out in outputs if isinstance(out, PresenceConfirmed)] == [
        ("b", T0),
        ("c", T0),
        ("a", T0 + 1),
    ]


def test_handheld_scans_are_refused() -> None:
    with pytest.raises(ValueError, match="handheld"):
        smoother().feed(read("pallet-1", HANDHELD, T0))


def test_a_portal_read_point_needs_a_door() -> None:
    with pytest.raises(ValueError, match="door"):
        ReadPoint("x", "site-1", "dock-a", "dock", "portal_inside", None)


def test_drain_returns_only_what_changed_since_the_last_drain() -> None:
    sm = smoother()
    feed_all(sm, [read(f"pallet-{n}", DOCK, T0) for n in range(5)])
    rows, deleted = sm.drain_changes()
    assert (len(rows), deleted) == (5, [])
    sm.feed(read("pallet-3", DOCK, T0 + 1, -40.0))
    rows, deleted = sm.drain_changes()
    assert [(row.tag, row.last_seen_us, row.peak_rssi, row.read_count) for row in rows] == [
        ("pallet-3", T0 + 1, -40.0, 2)
    ]
    sm.advance(T0 + 1 + ABSENCE + CROSS + 1)
    rows, deleted = sm.drain_changes()
    assert rows == []
    assert sorted(deleted) == sorted(PresenceKey(f"pallet-{n}", "dock-a-1", T0) for n in range(5))


# --- replays: the same partition input reaches the same outputs, however it is cut ---

TAGS = ("t1", "t2", "t3")
POINTS = (DOCK, DOCK_2, RACK, DOOR1_IN, DOOR1_OUT, DOOR2_IN, DOOR2_OUT)
Step = tuple[str, int, int, int, float | None]  # (tag, point index, time step, count, rssi)
FLUSH = 10_000  # past the last time step any script can reach


def steps() -> st.SearchStrategy[list[Step]]:
    # Few distinct values, mostly above the portal threshold: ties, passes and rivals happen.
    rssi = st.sampled_from((None, -75.0, -60.0, -55.0, -50.0, -45.0))
    # Negative steps feed out-of-order and late reads; tag "" is an `advance` tick.
    step = st.tuples(
        st.sampled_from((*TAGS, "t1", "t1", "")),
        st.sampled_from((0, 1, 2, 3, 3, 3, 4, 4, 4, 5, 6)),  # door-1 most: passes need both sides
        st.integers(-3, 6),
        st.integers(1, 3),
        rssi,
    )
    return st.lists(step, max_size=80)


def play(
    sm: Smoother, part: Sequence[Step], clock: int, first: int = 0
) -> tuple[list[Smoothed], int]:
    outputs: list[Smoothed] = []
    for n, (tag, point, delta, count, rssi) in enumerate(part, start=first):
        clock = max(0, clock + delta)
        if tag:
            sighting = Sighting(tag, POINTS[point], clock, rssi, count, f"r{clock}-{n}-{tag}")
            outputs += sm.feed(sighting)
        else:
            outputs += sm.advance(clock)
    return outputs, clock


def play_and_flush(sm: Smoother, script: Sequence[Step]) -> list[Smoothed]:
    """All the script says, then far enough ahead that every window is decided."""
    outputs, _ = play(sm, script, 0)
    return outputs + sm.advance(FLUSH)


def persist(table: dict[PresenceKey, PresenceRow], sm: Smoother) -> None:
    rows, deleted = sm.drain_changes()
    assert not {row.key for row in rows} & set(deleted)
    for key in deleted:
        table.pop(key, None)
    table.update((row.key, row) for row in rows)


@settings(max_examples=400, deadline=None)
@given(
    script=steps(),
    cuts=st.lists(st.integers(0, 80), max_size=4),
    absence_us=st.integers(0, 15),
    cross_read_us=st.integers(0, 15),
)
def test_persist_and_restore_at_any_cut_replays_to_the_same_outputs(
    script: list[Step], cuts: list[int], absence_us: int, cross_read_us: int
) -> None:
    whole = play_and_flush(Smoother(absence_us, cross_read_us), script)

    table: dict[PresenceKey, PresenceRow] = {}
    sm = Smoother(absence_us, cross_read_us)
    outputs: list[Smoothed] = []
    clock, done = 0, 0
    for cut in sorted({min(cut, len(script)) for cut in cuts}):
        part, clock = play(sm, script[done:cut], clock, done)
        outputs += part
        persist(table, sm)
        sm = Smoother.restore(table.values(), sm.watermark_us, absence_us, cross_read_us)
        done = cut
    rest, _ = play(sm, script[done:], clock, done)
    assert outputs + rest + sm.advance(FLUSH) == whole


@settings(max_examples=100, deadline=None)
@given(script=steps(), absence_us=st.integers(0, 15), cross_read_us=st.integers(0, 15))
def test_the_same_input_gives_the_same_outputs(
    script: list[Step], absence_us: int, cross_read_us: int
) -> None:
    first = play_and_flush(Smoother(absence_us, cross_read_us), script)
    again = play_and_flush(Smoother(absence_us, cross_read_us), script)
    assert first == again
