"""The reads a captured event stands for: the table of bizSteps that move assets, and the
read points they are read at (docs/epcis.md, "Capture"). Pure, no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from tracker.domain.observations import ClaimedDisposition
from tracker.epcis.vocabulary import TAGTRAIL_URN
from tracker.identity import TagKind

# The read a door pass needs on each side (above the consumer's portal_min_peak_rssi).
_DOOR_RSSI = -40.0


class Movement(StrEnum):
    """What a captured event says about where its objects are."""

    arrived = "arrived"  # a handheld scan at the location's zone (seen there)
    departed = "departed"  # an outbound pass through the location's door


# bizStep → movement, for ObjectEvents with action OBSERVE or ADD. Anything else is stored only.
CAPTURE_RULES: Mapping[str, Movement] = {
    "arriving": Movement.arrived,
    "receiving": Movement.arrived,
    "accepting": Movement.arrived,
    "departing": Movement.departed,
}
# Dispositions that are a claim, not a sighting: they must not move an asset as a read would
# (capture_claims makes them facts the tracker raises an alert for).
CLAIMED_DISPOSITIONS = frozenset(ClaimedDisposition)


@dataclass(frozen=True, slots=True)
class CapturePoint:
    """Where a captured event can become reads: a zone with an SGLN and its read points."""

    site_id: str
    zone_id: str
    zone_kind: str
    handheld: str | None  # reader id of a handheld read point in the zone
    door: tuple[str, int, int] | None  # (reader id, inside antenna, outside antenna)


@dataclass(frozen=True, slots=True)
class CapturedRead:
    """A read a captured event stands for; the API turns it into a TagRead v1."""

    read_id: str
    reader_id: str
    antenna: int | None
    tag: str  # canonical
    tag_kind: TagKind
    seen_at: datetime
    source: Literal["handheld", "push"]
    rssi: float | None
    custodian: str | None = None  # the destination's possessing party, if one of ours


def captured_reads(
    event: Mapping[str, Any],
    event_id: str,
    at: datetime,
    epcs: tuple[tuple[str, TagKind], ...],
    point: CapturePoint | None,
    biz_step: str | None,
    disposition: str | None,
) -> tuple[CapturedRead, ...]:
    movement = CAPTURE_RULES.get(biz_step or "")
    if (
        point is None
        or movement is None
        or event.get("type") != "ObjectEvent"
        or event.get("action") not in ("OBSERVE", "ADD")
        or disposition in CLAIMED_DISPOSITIONS
    ):
        return ()
    reads: list[CapturedRead] = []
    for tag, kind in epcs:
        if tag.startswith(TAGTRAIL_URN):
            continue  # no read can carry it; the log keeps it
        if movement is Movement.arrived and point.handheld is not None:
            read_id = _read_id(event_id, tag)
            reads.append(
                CapturedRead(read_id, point.handheld, None, tag, kind, at, "handheld", None)
            )
        elif point.door is not None:
            reads += _door_pass(event_id, tag, kind, at, point.door, movement)
    return tuple(reads)


def _door_pass(
    event_id: str,
    tag: str,
    kind: TagKind,
    at: datetime,
    door: tuple[str, int, int],
    movement: Movement,
) -> list[CapturedRead]:
    """Two reads a second apart, inside then outside for a departure (outside then inside for
    an arrival): the consumer's smoother makes them a pass through the door at `at`."""
    reader, inside, outside = door
    sides = [("in", inside), ("out", outside)]
    if movement is Movement.arrived:
        sides.reverse()
    times = (at - timedelta(seconds=1), at)
    return [
        CapturedRead(
            _read_id(event_id, tag, side), reader, antenna, tag, kind, seen, "push", _DOOR_RSSI
        )
        for (side, antenna), seen in zip(sides, times, strict=True)
    ]


def _read_id(event_id: str, tag: str, side: str = "") -> str:
    """Deterministic (a re-capture after a crash publishes the same ids) and ≤ 64 characters."""
    digest = hashlib.sha256(f"{event_id}|{tag}|{side}".encode()).hexdigest()[:40]
    return f"epcis:{digest}{':' + side if side else ''}"
