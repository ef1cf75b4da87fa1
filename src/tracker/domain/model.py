"""What the tracker knows about one asset at one moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.domain.rules import AlertKind


class AssetStatus(StrEnum):
    in_service = "in_service"
    in_transit = "in_transit"
    at_custodian = "at_custodian"
    missing = "missing"
    lost = "lost"
    in_recovery = "in_recovery"
    retired = "retired"


class ZoneKind(StrEnum):
    dock = "dock"
    storage = "storage"
    yard = "yard"
    repair = "repair"
    quarantine = "quarantine"
    # A zone on a custodian's premises (customer yard, carrier hub): being there is not "on site".
    external = "external"


def require_aware(name: str, value: datetime | None) -> None:
    """Reject naive datetimes: a reader clock without an offset cannot be ordered safely."""
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


@dataclass(frozen=True, slots=True, order=True)
class ObservationKey:
    """Event-time position of an observation; ties on `seen_at` break on the id (total order)."""

    seen_at: datetime
    observation_id: str

    def __post_init__(self) -> None:
        require_aware("seen_at", self.seen_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenDispatch:
    """The asset's open dispatch line, attached by the consumer so `apply` needs no lookup."""

    dispatch_id: str
    custodian_id: str
    expected_return_at: datetime | None = None

    def __post_init__(self) -> None:
        require_aware("expected_return_at", self.expected_return_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetState:
    asset_id: str
    status: AssetStatus
    home_site_id: str
    # Holds the asset whenever it is ours and at home: the home site's custodian.
    home_custodian_id: str
    site_id: str | None
    zone_id: str | None
    # Always set: exactly one party holds every asset at any time.
    custodian_id: str
    custody_since: datetime | None = None
    dispatch_id: str | None = None
    return_due_at: datetime | None = None
    last_seen_at: datetime | None = None
    last_applied: ObservationKey | None = None
    # Ids of the last few observations received (applied or late), newest last. A producer
    # retry resends a whole batch, so a duplicate can arrive a few observations after the
    # original; remembering only the last applied id would record it as late.
    recent_observation_ids: tuple[str, ...] = ()
    # Alerts open on a partner's claim (reported_stolen…): nothing in the status says so, and
    # the next sighting of the asset resolves them (the store loads them from `alerts`).
    open_claims: frozenset[AlertKind] = frozenset()

    def __post_init__(self) -> None:
        if not self.custodian_id:
            raise ValueError("custodian_id must be set: every asset has exactly one custodian")
        for name in ("custody_since", "return_due_at", "last_seen_at"):
            require_aware(name, getattr(self, name))


def new_asset_state(asset_id: str, *, home_site_id: str, home_custodian_id: str) -> AssetState:
    """A freshly registered asset: in service at home, held by the home site's custodian."""
    return AssetState(
        asset_id=asset_id,
        status=AssetStatus.in_service,
        home_site_id=home_site_id,
        home_custodian_id=home_custodian_id,
        site_id=home_site_id,
        zone_id=None,
        custodian_id=home_custodian_id,
    )
