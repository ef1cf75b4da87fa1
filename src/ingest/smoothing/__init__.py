"""The read smoother of the ingest consumer: pure, clock-free, restorable from its rows."""

from .persistence import PresenceKey, PresenceRow
from .reads import (
    DoorPassed,
    LateSighting,
    PresenceConfirmed,
    ReadPoint,
    Sighting,
    Smoothed,
)
from .smoother import NO_WATERMARK, Smoother

__all__ = [
    "NO_WATERMARK",
    "DoorPassed",
    "LateSighting",
    "PresenceConfirmed",
    "PresenceKey",
    "PresenceRow",
    "ReadPoint",
    "Sighting",
    "Smoothed",
    "Smoother",
]
