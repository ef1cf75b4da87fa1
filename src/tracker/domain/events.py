"""What happened to an asset, in the past tense, ready for the append-only `asset_events` table.

Every event names the observation that caused it, so the store can dedupe a re-delivered
observation on (asset_id, observation_id, kind) even when it arrives too late for the
state to recognise it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import ClassVar, TypedDict

from tracker.domain.lifecycle import Cue
from tracker.domain.model import AssetStatus, ZoneKind, require_aware
from tracker.domain.rules import AlertKind

JsonScalar = str | int | float | bool | None


class Stamp(TypedDict):
    """The header shared by every event one observation produces."""

    asset_id: str
    observation_id: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EventBase:
    kind: ClassVar[str] = "event"

    asset_id: str
    observation_id: str
    # Event time: the observation's (possibly clamped) seen_at, not the time it was applied.
    occurred_at: datetime

    def __post_init__(self) -> None:
        require_aware("occurred_at", self.occurred_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetMoved(EventBase):
    kind: ClassVar[str] = "asset_moved"
    site_id: str
    from_zone_id: str | None
    to_zone_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetArrived(EventBase):
    kind: ClassVar[str] = "asset_arrived"
    site_id: str
    zone_id: str | None
    zone_kind: ZoneKind | None
    at_home: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetLeftSite(EventBase):
    kind: ClassVar[str] = "asset_left_site"
    site_id: str
    zone_id: str | None
    dispatch_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class CustodyTransferred(EventBase):
    kind: ClassVar[str] = "custody_transferred"
    from_custodian_id: str
    to_custodian_id: str
    dispatch_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetStatusChanged(EventBase):
    kind: ClassVar[str] = "asset_status_changed"
    from_status: AssetStatus
    to_status: AssetStatus
    cause: Cue


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnaroundRecorded(EventBase):
    """A dispatched asset came back: closes its dispatch line."""

    kind: ClassVar[str] = "turnaround_recorded"
    dispatch_id: str
    custodian_id: str
    # Set when someone other than the dispatch's custodian brought it back.
    returned_by_custodian_id: str | None
    returned_to_site_id: str | None
    departed_at: datetime | None
    duration: timedelta | None
    overdue: bool
    # False when the return itself was missed and the line is closed because the asset left
    # on a new dispatch: `occurred_at` and `duration` are then upper bounds.
    return_seen: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ObservationRecordedLate(EventBase):
    """Older than the last applied observation: kept in history, never moves the asset back."""

    kind: ClassVar[str] = "observation_recorded_late"
    observation_kind: str
    last_applied_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockClamped(EventBase):
    """The reader's clock was too far ahead; `occurred_at` is the clamped time."""

    kind: ClassVar[str] = "clock_clamped"
    reported_seen_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ObservationIgnored(EventBase):
    kind: ClassVar[str] = "observation_ignored"
    observation_kind: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRaised(EventBase):
    """Severity is not carried: it depends on per-type and per-site overrides (see rules)."""

    kind: ClassVar[str] = "alert_raised"
    alert_kind: AlertKind
    reason: str
    site_id: str | None = None
    replacement_value: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertResolved(EventBase):
    """Resolves the open alert of this kind, if there is one (one open alert per asset and kind)."""

    kind: ClassVar[str] = "alert_resolved"
    alert_kind: AlertKind
    reason: str


Event = (
    AssetMoved
    | AssetArrived
    | AssetLeftSite
    | CustodyTransferred
    | AssetStatusChanged
    | TurnaroundRecorded
    | ObservationRecordedLate
    | ClockClamped
    | ObservationIgnored
    | AlertRaised
    | AlertResolved
)

EVENT_TYPES: tuple[type[EventBase], ...] = (
    AssetMoved,
    AssetArrived,
    AssetLeftSite,
    CustodyTransferred,
    AssetStatusChanged,
    TurnaroundRecorded,
    ObservationRecordedLate,
    ClockClamped,
    ObservationIgnored,
    AlertRaised,
    AlertResolved,
)

_HEADER = frozenset({"asset_id", "observation_id", "occurred_at"})


def _json_scalar(value: object) -> JsonScalar:
    match value:
        case None | bool() | int() | float() | str():
            # StrEnum members are str; store the plain value, not the member.
            return value.value if isinstance(value, Enum) else value
        case datetime():
            return value.isoformat()
        case timedelta():
            # Seconds, so reports can aggregate in SQL without parsing ISO durations.
            return value.total_seconds()
        case Decimal():
            # A string keeps money exact through jsonb.
            return str(value)
        case Enum():
            return _json_scalar(value.value)
    raise TypeError(f"no JSON form for {type(value).__name__}")


def event_payload(event: Event) -> dict[str, JsonScalar]:
    """The event's own fields as JSON scalars (the `payload` jsonb column)."""
    return {
        field.name: _json_scalar(getattr(event, field.name))
        for field in fields(event)
        if field.name not in _HEADER
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord:
    """One `asset_events` row."""

    kind: str
    asset_id: str
    observation_id: str
    occurred_at: datetime
    payload: dict[str, JsonScalar]


def event_record(event: Event) -> EventRecord:
    return EventRecord(
        kind=event.kind,
        asset_id=event.asset_id,
        observation_id=event.observation_id,
        occurred_at=event.occurred_at,
        payload=event_payload(event),
    )
