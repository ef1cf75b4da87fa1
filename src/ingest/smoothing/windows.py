"""The state the smoother holds per tag: zone presences and door visits.

Both are `__slots__` classes holding plain ints and floats: the consumer may hold a
million of them. A tag's windows form a singly linked chain (`next_same_tag`) hanging
off one dict entry per tag, so there is no tuple key and no per-window dict.
"""

from __future__ import annotations

from .reads import ReadPoint

# A read without RSSI never outranks one with it; None is kept out of the hot path.
NO_RSSI = float("-inf")

AWAITING_DECISION = 0
DECIDED = 1


class Window:
    """What presences and door visits share: their span, identity and place in the queue."""

    __slots__ = (
        "due_us",
        "first_read_id",
        "last_seen_us",
        "next_same_tag",
        "phase",
        "start_us",
        "tag",
    )

    def __init__(
        self, tag: str, start_us: int, first_read_id: str, next_same_tag: Window | None
    ) -> None:
        self.tag = tag
        self.start_us = start_us
        self.last_seen_us = start_us
        self.first_read_id = first_read_id
        self.next_same_tag = next_same_tag
        self.phase = AWAITING_DECISION
        # The key this window sits under in the due queue; never changed while queued.
        self.due_us = 0

    @property
    def rank_id(self) -> str:
        raise NotImplementedError

    def peak(self) -> float:
        raise NotImplementedError

    def overlaps(self, start_us: int, end_us: int) -> bool:
        return self.start_us <= end_us and self.last_seen_us >= start_us

    def outranks(self, other: Window) -> bool:
        """Stronger peak wins; an exact tie goes to the lower id so replays agree."""
        mine, theirs = self.peak(), other.peak()
        if mine != theirs:
            return mine > theirs
        return self.rank_id < other.rank_id

    def __lt__(self, other: Window) -> bool:
        # The due queue releases by due time, then tag, then read point (or door) id.
        if self.due_us != other.due_us:
            return self.due_us < other.due_us
        return self._tie_key() < other._tie_key()

    def _tie_key(self) -> tuple[str, str, int, bool]:
        return (self.tag, self.rank_id, self.start_us, isinstance(self, Presence))


class Presence(Window):
    """One tag at one zone read point."""

    __slots__ = ("count", "peak_rssi", "read_point")

    def __init__(
        self,
        tag: str,
        read_point: ReadPoint,
        start_us: int,
        first_read_id: str,
        next_same_tag: Window | None,
    ) -> None:
        super().__init__(tag, start_us, first_read_id, next_same_tag)
        self.read_point = read_point
        self.peak_rssi = NO_RSSI
        self.count = 0

    @property
    def rank_id(self) -> str:
        return self.read_point.id

    def peak(self) -> float:
        return self.peak_rssi


class DoorSide:
    """What one antenna of a portal heard of a tag during one visit."""

    __slots__ = ("count", "first_seen_us", "last_seen_us", "peak_at_us", "peak_rssi", "read_point")

    def __init__(self, read_point: ReadPoint, seen_us: int) -> None:
        self.read_point = read_point
        self.first_seen_us = seen_us
        self.last_seen_us = seen_us
        self.peak_rssi = NO_RSSI
        self.peak_at_us = seen_us
        self.count = 0

    def add(self, seen_us: int, rssi: float, count: int) -> None:
        if seen_us > self.last_seen_us:
            self.last_seen_us = seen_us
        elif seen_us < self.first_seen_us:
            self.first_seen_us = seen_us
        # Strictly greater: on equal RSSI the first read fed keeps the peak, deterministically.
        if rssi > self.peak_rssi:
            self.peak_rssi = rssi
            self.peak_at_us = seen_us
        self.count += count


class DoorVisit(Window):
    """One tag near one door: the inside and outside antennas, each with its own peak."""

    __slots__ = ("door", "inside", "outside")

    def __init__(
        self, tag: str, door: str, start_us: int, first_read_id: str, next_same_tag: Window | None
    ) -> None:
        super().__init__(tag, start_us, first_read_id, next_same_tag)
        self.door = door
        self.inside: DoorSide | None = None
        self.outside: DoorSide | None = None

    @property
    def rank_id(self) -> str:
        return self.door

    def peak(self) -> float:
        return max(side.peak_rssi for side in self.sides())

    def sides(self) -> list[DoorSide]:
        return [side for side in (self.inside, self.outside) if side is not None]

    def add(self, read_point: ReadPoint, seen_us: int, rssi: float, count: int) -> bool:
        """Fold one read in; True if its side had been heard already (a repeat)."""
        inside = read_point.role == "portal_inside"
        side = self.inside if inside else self.outside
        heard_before = side is not None
        if side is None:
            side = DoorSide(read_point, seen_us)
            if inside:
                self.inside = side
            else:
                self.outside = side
        side.add(seen_us, rssi, count)
        if seen_us > self.last_seen_us:
            self.last_seen_us = seen_us
        return heard_before


def rivals_of(window: Window, head: Window | None, reach_us: int) -> list[Window]:
    """The windows in a tag's chain within reach of this one's start that heard it stronger."""
    start_us = window.start_us
    rivals = []
    other = head
    while other is not None:
        if (
            other is not window
            and other.overlaps(start_us - reach_us, start_us + reach_us)
            and other.outranks(window)
        ):
            rivals.append(other)
        other = other.next_same_tag
    return rivals


def unchain(window: Window, head: Window) -> Window | None:
    """Take a window out of its tag's chain; returns the chain's new head."""
    if head is window:
        return window.next_same_tag
    previous = head
    while previous.next_same_tag is not window:
        assert previous.next_same_tag is not None, "the window is in this chain"
        previous = previous.next_same_tag
    previous.next_same_tag = window.next_same_tag
    return head
