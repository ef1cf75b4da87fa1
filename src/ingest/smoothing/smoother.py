"""The read smoother of the ingest consumer: raw reads in, presences and door passes out.

It never reads a clock. Time is the partition's watermark: the highest `seen_us` fed
so far, or what `advance` was given (the consumer's tick records in idle partitions).
So one Kafka partition's inputs decide its outputs, whatever the batch boundaries, and
a replay after a crash reaches the same state.

Every window waits in one due queue, first for its decision (a presence's confirmation
at start + cross_read_us, a door visit's pass at its end) and then, once decided, to be
forgotten. A decided window lingers cross_read_us past its end because a tag's later
window within that reach still needs it as a rival.
"""

from __future__ import annotations

from collections.abc import Iterable
from heapq import heapify, heappop, heappush

from .persistence import PresenceKey, PresenceRow, keys_of, rows_of, windows_from_rows
from .reads import DoorPassed, LateSighting, PresenceConfirmed, Sighting, Smoothed
from .windows import (
    AWAITING_DECISION,
    DECIDED,
    NO_RSSI,
    DoorVisit,
    Presence,
    Window,
    rivals_of,
    unchain,
)

# Before the first read every read is on time; a Postgres bigint still holds it.
NO_WATERMARK = -(2**63)


class Smoother:
    """Per Kafka partition: smooths its sightings; see the module docstring for time."""

    def __init__(
        self, absence_us: int, cross_read_us: int, portal_min_peak_rssi: float = -65.0
    ) -> None:
        if absence_us < 0 or cross_read_us < 0:
            raise ValueError("absence_us and cross_read_us must not be negative")
        self.absence_us = absence_us
        self.cross_read_us = cross_read_us
        self.portal_min_peak_rssi = portal_min_peak_rssi
        self.repeats = 0
        self.cross_reads = 0
        self.strays = 0
        self.late = 0
        self._watermark_us = NO_WATERMARK
        self._by_tag: dict[str, Window] = {}  # head of each tag's chain of windows
        self._due: list[Window] = []  # heap on (due_us, tag, read point or door id)
        self._dirty: dict[Window, None] = {}  # an ordered set: drained rows come out in order
        self._deleted: list[PresenceKey] = []

    @property
    def watermark_us(self) -> int:
        return self._watermark_us

    def has_open_windows(self) -> bool:
        """Whether anything still waits for time to pass: an idle partition needs ticks."""
        return bool(self._due)

    def feed(self, sighting: Sighting) -> list[Smoothed]:
        read_point = sighting.read_point
        if read_point.role == "handheld":
            raise ValueError(f"read point {read_point.id}: handheld scans are not smoothed")
        seen_us = sighting.seen_us
        if seen_us < self._watermark_us - self.absence_us:
            self.late += 1
            return [LateSighting(sighting.tag, read_point, seen_us, sighting.read_id)]
        released: list[Smoothed] = []
        if seen_us > self._watermark_us:
            # Close what this read's time makes due before the read itself can join it.
            self._watermark_us = seen_us
            self._release_due(released)
        if read_point.role == "zone":
            self._join_presence(sighting)
        else:
            self._join_door_visit(sighting)
        # An out-of-order read may open a window whose confirmation is already due.
        self._release_due(released)
        return released

    def advance(self, watermark_us: int) -> list[Smoothed]:
        """Move time on without a read; a watermark behind the current one changes nothing."""
        released: list[Smoothed] = []
        if watermark_us > self._watermark_us:
            self._watermark_us = watermark_us
            self._release_due(released)
        return released

    def drain_changes(self) -> tuple[list[PresenceRow], list[PresenceKey]]:
        """Rows to upsert and keys to delete since the last drain, in the order they changed."""
        rows = [row for window in self._dirty for row in rows_of(window)]
        deleted = self._deleted
        self._dirty = {}
        self._deleted = []
        return rows, deleted

    @classmethod
    def restore(
        cls,
        rows: Iterable[PresenceRow],
        watermark_us: int,
        absence_us: int,
        cross_read_us: int,
        portal_min_peak_rssi: float = -65.0,
    ) -> Smoother:
        """The smoother that drained these rows at this watermark; counters start at zero."""
        smoother = cls(absence_us, cross_read_us, portal_min_peak_rssi)
        smoother._watermark_us = watermark_us
        for window in windows_from_rows(rows):
            window.next_same_tag = smoother._by_tag.get(window.tag)
            smoother._by_tag[window.tag] = window
            # Every call releases all that is due, so the watermark tells what was decided.
            if smoother._decision_due(window) <= watermark_us:
                window.phase = DECIDED
                window.due_us = smoother._forget_due(window)
            else:
                window.due_us = smoother._decision_due(window)
            smoother._due.append(window)
        heapify(smoother._due)
        return smoother

    def _join_presence(self, sighting: Sighting) -> None:
        tag, read_point, seen_us = sighting.tag, sighting.read_point, sighting.seen_us
        open_since = self._watermark_us - self.absence_us
        head = window = self._by_tag.get(tag)
        while window is not None:
            if (
                isinstance(window, Presence)
                and window.last_seen_us >= open_since
                and window.read_point.id == read_point.id
            ):
                self.repeats += 1
                if seen_us > window.last_seen_us:
                    window.last_seen_us = seen_us
                break
            window = window.next_same_tag
        else:
            window = Presence(tag, read_point, seen_us, sighting.read_id, head)
            self._by_tag[tag] = window
            self._queue(window, seen_us + self.cross_read_us)
        rssi = NO_RSSI if sighting.rssi is None else sighting.rssi
        if rssi > window.peak_rssi:
            window.peak_rssi = rssi
        window.count += sighting.count
        self._dirty[window] = None

    def _join_door_visit(self, sighting: Sighting) -> None:
        tag, read_point, seen_us = sighting.tag, sighting.read_point, sighting.seen_us
        open_since = self._watermark_us - self.absence_us
        head = window = self._by_tag.get(tag)
        while window is not None:
            if (
                isinstance(window, DoorVisit)
                and window.last_seen_us >= open_since
                and window.door == read_point.door
            ):
                break
            window = window.next_same_tag
        else:
            assert read_point.door is not None  # ReadPoint checks it for portal roles
            window = DoorVisit(tag, read_point.door, seen_us, sighting.read_id, head)
            self._by_tag[tag] = window
            self._queue(window, seen_us + self.absence_us + 1)
        rssi = NO_RSSI if sighting.rssi is None else sighting.rssi
        if window.add(read_point, seen_us, rssi, sighting.count):
            self.repeats += 1
        self._dirty[window] = None

    def _queue(self, window: Window, due_us: int) -> None:
        window.due_us = due_us
        heappush(self._due, window)

    def _release_due(self, released: list[Smoothed]) -> None:
        due = self._due
        watermark_us = self._watermark_us
        while due and due[0].due_us <= watermark_us:
            window = heappop(due)
            if window.phase == AWAITING_DECISION:
                decision_due = self._decision_due(window)
                if decision_due > window.due_us:
                    # Reads moved its end since it was queued: queue it again where it is now.
                    self._queue(window, decision_due)
                    continue
                decision = self._decide(window)
                if decision is not None:
                    released.append(decision)
                window.phase = DECIDED
                self._queue(window, self._forget_due(window))
            else:
                self._forget_or_postpone(window)

    def _decision_due(self, window: Window) -> int:
        if isinstance(window, Presence):
            return window.start_us + self.cross_read_us
        # A door visit is decided when it ends: once the watermark is past last + absence.
        return window.last_seen_us + self.absence_us + 1

    def _forget_due(self, window: Window) -> int:
        # Past this no window that can still open (reads older than watermark - absence
        # are late) starts within cross_read_us of this one's last read.
        return window.last_seen_us + self.absence_us + self.cross_read_us + 1

    def _decide(self, window: Window) -> Smoothed | None:
        if isinstance(window, Presence):
            return self._confirm_presence(window)
        assert isinstance(window, DoorVisit)
        return self._close_door_visit(window)

    def _confirm_presence(self, presence: Presence) -> PresenceConfirmed | None:
        zone_id = presence.read_point.zone_id
        for rival in rivals_of(presence, self._by_tag.get(presence.tag), self.cross_read_us):
            # Two antennas of one zone both hearing the tag is no cross-read.
            if isinstance(rival, Presence) and rival.read_point.zone_id == zone_id:
                continue
            self.cross_reads += 1
            return None
        return PresenceConfirmed(
            presence.tag, presence.read_point, presence.start_us, presence.first_read_id + ":p"
        )

    def _close_door_visit(self, visit: DoorVisit) -> DoorPassed | None:
        inside, outside = visit.inside, visit.outside
        threshold = self.portal_min_peak_rssi
        if (
            inside is None
            or outside is None
            or inside.peak_rssi < threshold
            or outside.peak_rssi < threshold
            or inside.peak_at_us == outside.peak_at_us
        ):
            # Heard on one side only, or weakly, or with no order: a tag standing nearby.
            self.strays += 1
            return None
        for rival in rivals_of(visit, self._by_tag.get(visit.tag), self.cross_read_us):
            if isinstance(rival, DoorVisit) and rival.door != visit.door:
                self.cross_reads += 1
                return None
        outbound = inside.peak_at_us < outside.peak_at_us
        later = outside if outbound else inside
        point = later.read_point
        return DoorPassed(
            visit.tag,
            visit.door,
            point.site_id,
            point.zone_id,
            point.id,
            "outbound" if outbound else "inbound",
            later.peak_at_us,
            visit.first_read_id + ":d",
        )

    def _forget_or_postpone(self, window: Window) -> None:
        forget_due = self._forget_due(window)
        if forget_due > window.due_us:
            self._queue(window, forget_due)
            return
        blocked_until = self._undecided_neighbour_due(window)
        if blocked_until is not None:
            # A long door visit still undecided may need this one as its rival.
            self._queue(window, blocked_until + 1)
            return
        head = unchain(window, self._by_tag[window.tag])
        if head is None:
            del self._by_tag[window.tag]
        else:
            self._by_tag[window.tag] = head
        self._dirty.pop(window, None)
        self._deleted.extend(keys_of(window))

    def _undecided_neighbour_due(self, window: Window) -> int | None:
        reach = self.cross_read_us
        latest: int | None = None
        other = self._by_tag.get(window.tag)
        while other is not None:
            if other.phase == AWAITING_DECISION and window.overlaps(
                other.start_us - reach, other.start_us + reach
            ):
                due_us = self._decision_due(other)
                latest = due_us if latest is None else max(latest, due_us)
            other = other.next_same_tag
        return latest
