"""An asset's usage history as a case records it at intake: trips, days out, the custodians
it went to, and when it was last serviced and calibrated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tracker.domain.model import require_aware

_DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Trip:
    """One return (a `turnaround_recorded` event): who had it, and for how long."""

    custodian_id: str
    duration_s: float | None  # None when the departure was never seen


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    trips: int
    days_out: float
    custodians: tuple[str, ...]  # in the order it first went to each
    last_service_at: datetime | None
    last_calibration_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The case's `usage` column."""
        return {
            "trips": self.trips,
            "days_out": self.days_out,
            "custodians": list(self.custodians),
            "last_service_at": _iso(self.last_service_at),
            "last_calibration_at": _iso(self.last_calibration_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def summarise_usage(
    *,
    trips_counted: int,
    returns: Sequence[Trip],
    last_service_at: datetime | None,
    last_calibration_at: datetime | None,
) -> Usage:
    """`trips_counted` is the tracker's count (asset_state.trips), which may include trips
    made before tagtrail; the returns recorded since are the lower bound."""
    require_aware("last_service_at", last_service_at)
    require_aware("last_calibration_at", last_calibration_at)
    seconds_out = sum(trip.duration_s for trip in returns if trip.duration_s)
    return Usage(
        trips=max(trips_counted, len(returns)),
        days_out=round(seconds_out / _DAY_S, 2),
        custodians=tuple(dict.fromkeys(trip.custodian_id for trip in returns)),
        last_service_at=last_service_at,
        last_calibration_at=last_calibration_at,
    )
