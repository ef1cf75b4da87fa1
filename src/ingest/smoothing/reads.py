"""What the smoother takes in (resolved sightings) and what it gives out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["portal_inside", "portal_outside", "zone", "handheld"]
Direction = Literal["outbound", "inbound"]
PORTAL_ROLES = ("portal_inside", "portal_outside")


@dataclass(frozen=True, slots=True)
class ReadPoint:
    """One (reader_id, antenna) as the consumer resolves it; shared by all its sightings."""

    id: str
    site_id: str
    zone_id: str
    zone_kind: str  # dock/storage/yard/repair/quarantine/external
    role: Role
    door: str | None  # the inside and the outside antenna of one portal share it

    def __post_init__(self) -> None:
        # Checked once per read point, so the hot path can rely on it.
        if (self.role in PORTAL_ROLES) != (self.door is not None):
            raise ValueError(f"read point {self.id}: a door is set exactly for portal roles")


@dataclass(frozen=True, slots=True)
class Sighting:
    """One decoded raw read."""

    tag: str
    read_point: ReadPoint
    seen_us: int  # reader clock, epoch microseconds
    rssi: float | None  # dBm
    count: int  # reads folded into this one
    read_id: str


@dataclass(frozen=True, slots=True)
class PresenceConfirmed:
    """A tag is at a zone read point since `at_us`, and it was no cross-read."""

    tag: str
    read_point: ReadPoint
    at_us: int
    observation_id: str


@dataclass(frozen=True, slots=True)
class DoorPassed:
    """A tag went through a door; the read point is the side it ended up on."""

    tag: str
    door: str
    site_id: str
    zone_id: str
    read_point_id: str
    direction: Direction
    at_us: int
    observation_id: str


@dataclass(frozen=True, slots=True)
class LateSighting:
    """A read too old to join any presence: kept in history, changes no state."""

    tag: str
    read_point: ReadPoint
    seen_us: int
    read_id: str


Smoothed = PresenceConfirmed | DoorPassed | LateSighting
