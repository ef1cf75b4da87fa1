"""The four ways out of recovery: what each records, what it recovers, and what it does to
the asset's lifecycle (redeploy → in_service; resale, parts, recycling → retired)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from tracker.domain import AssetStatus, Redeployed, Retired
from tracker.recovery.model import RecoveryPath

CENT = Decimal("0.01")


def _money(value: Decimal) -> str:
    # A string keeps money exact through jsonb, as the tracker's event payloads do.
    return str(value.quantize(CENT))


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, slots=True)
class Part:
    part: str
    value: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Redeploy:
    path: ClassVar[RecoveryPath] = RecoveryPath.redeploy
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Resale:
    path: ClassVar[RecoveryPath] = RecoveryPath.resale
    price: Decimal
    channel: str

    def __post_init__(self) -> None:
        _require(self.price >= 0, "price must not be negative")
        _require(bool(self.channel.strip()), "channel must be given")


@dataclass(frozen=True, slots=True, kw_only=True)
class Parts:
    path: ClassVar[RecoveryPath] = RecoveryPath.parts
    parts: tuple[Part, ...]

    def __post_init__(self) -> None:
        _require(bool(self.parts), "name at least one part")
        _require(all(p.value >= 0 for p in self.parts), "part values must not be negative")
        _require(all(p.part.strip() for p in self.parts), "every part needs a name")


@dataclass(frozen=True, slots=True, kw_only=True)
class Recycling:
    path: ClassVar[RecoveryPath] = RecoveryPath.recycling
    weight_kg: Decimal
    vendor: str
    certificate: str | None = None  # the recycler's certificate of recycling / destruction
    proceeds: Decimal = Decimal(0)  # what the recycler paid, if anything

    def __post_init__(self) -> None:
        _require(self.weight_kg > 0, "weight_kg must be more than 0")
        _require(bool(self.vendor.strip()), "vendor must be given")
        _require(self.proceeds >= 0, "proceeds must not be negative")


Decision = Redeploy | Resale | Parts | Recycling


def value_recovered(decision: Decision, asset_value: Decimal) -> Decimal:
    """Redeploy: the asset's value (what we need not buy again); resale: the price; parts:
    the sum of the parts' values; recycling: the proceeds (0 if none)."""
    match decision:
        case Redeploy():
            value = asset_value
        case Resale():
            value = decision.price
        case Parts():
            value = sum((part.value for part in decision.parts), Decimal(0))
        case Recycling():
            value = decision.proceeds
    return value.quantize(CENT)


def details_of(decision: Decision) -> dict[str, Any]:
    """The case's `path_details` (jsonb)."""
    match decision:
        case Redeploy():
            return {"note": decision.note} if decision.note else {}
        case Resale():
            return {"price": _money(decision.price), "channel": decision.channel}
        case Parts():
            return {"parts": [{"part": p.part, "value": _money(p.value)} for p in decision.parts]}
        case Recycling():
            return {
                "weight_kg": str(decision.weight_kg),
                "vendor": decision.vendor,
                "certificate": decision.certificate,
                "proceeds": _money(decision.proceeds),
            }


def status_after(path: RecoveryPath) -> AssetStatus:
    return AssetStatus.in_service if path is RecoveryPath.redeploy else AssetStatus.retired


def carry_out(
    path: RecoveryPath, case_id: str, observation_id: str, seen_at: datetime
) -> Redeployed | Retired:
    """The tracker observation that closing the case on this path feeds into `apply`."""
    if path is RecoveryPath.redeploy:
        return Redeployed(observation_id=observation_id, seen_at=seen_at, recovery_id=case_id)
    return Retired(
        observation_id=observation_id, seen_at=seen_at, reason=f"recovery {case_id}: {path}"
    )
