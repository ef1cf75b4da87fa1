"""The ways out of recovery (value recovered, details kept, what each does to the asset's
lifecycle through the tracker's own `apply`), usage at intake, and erasure certificates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tracker_builders import T0, at, of_type, state_in

from tracker.domain import AssetStatus, AssetStatusChanged, Redeployed, Retired, apply
from tracker.recovery import (
    ErasureCertificate,
    ErasureMethod,
    Part,
    Parts,
    RecoveryPath,
    Recycling,
    Redeploy,
    Resale,
    Trip,
    carry_out,
    details_of,
    status_after,
    summarise_usage,
    value_recovered,
)

ASSET_VALUE = Decimal("42.50")


def test_each_path_recovers_what_the_business_gets_back() -> None:
    assert value_recovered(Redeploy(), ASSET_VALUE) == Decimal("42.50")
    assert value_recovered(Resale(price=Decimal("320"), channel="ebay"), ASSET_VALUE) == Decimal(
        "320.00"
    )
    parts = Parts(parts=(Part("battery", Decimal("35.00")), Part("scanner", Decimal("80.5"))))
    assert value_recovered(parts, ASSET_VALUE) == Decimal("115.50")
    scrap = Recycling(weight_kg=Decimal("2.4"), vendor="GreenCycle")
    assert value_recovered(scrap, ASSET_VALUE) == Decimal("0.00")
    paid = Recycling(weight_kg=Decimal("2.4"), vendor="GreenCycle", proceeds=Decimal("1.2"))
    assert value_recovered(paid, ASSET_VALUE) == Decimal("1.20")


def test_details_keep_money_exact_as_strings() -> None:
    assert details_of(Resale(price=Decimal("320"), channel="ebay")) == {
        "price": "320.00",
        "channel": "ebay",
    }
    parts = Parts(parts=(Part("battery", Decimal("35")),))
    assert details_of(parts) == {"parts": [{"part": "battery", "value": "35.00"}]}
    scrap = Recycling(weight_kg=Decimal("2.400"), vendor="GreenCycle", certificate="GC-1")
    assert details_of(scrap) == {
        "weight_kg": "2.400",
        "vendor": "GreenCycle",
        "certificate": "GC-1",
        "proceeds": "0.00",
    }
    assert details_of(Redeploy()) == {}


@pytest.mark.parametrize(
    "make",
    [
        lambda: Resale(price=Decimal("-1"), channel="ebay"),
        lambda: Resale(price=Decimal("1"), channel="  "),
        lambda: Parts(parts=()),
        lambda: Parts(parts=(Part("battery", Decimal("-3")),)),
        lambda: Recycling(weight_kg=Decimal("0"), vendor="GreenCycle"),
        lambda: Recycling(weight_kg=Decimal("1"), vendor=""),
    ],
)
def test_nonsense_details_are_refused(make: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each message is specific; the refusal counts
        make()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("path", "status", "observation"),
    [
        (RecoveryPath.redeploy, AssetStatus.in_service, Redeployed),
        (RecoveryPath.resale, AssetStatus.retired, Retired),
        (RecoveryPath.parts, AssetStatus.retired, Retired),
        (RecoveryPath.recycling, AssetStatus.retired, Retired),
    ],
)
def test_closing_moves_the_asset_through_the_trackers_lifecycle(
    path: RecoveryPath, status: AssetStatus, observation: type
) -> None:
    assert status_after(path) is status
    in_recovery = state_in(AssetStatus.in_recovery)
    made = carry_out(path, "rc_1", "recovery:rc_1:closed", at(100))
    assert isinstance(made, observation)
    after, events = apply(in_recovery, made, at(100))
    assert after.status is status
    [changed] = of_type(events, AssetStatusChanged)
    assert (changed.from_status, changed.to_status) == (AssetStatus.in_recovery, status)


def test_an_asset_out_on_a_dispatch_cannot_be_carried_out() -> None:
    in_transit = state_in(AssetStatus.in_transit)
    after, _ = apply(in_transit, carry_out(RecoveryPath.redeploy, "rc_1", "o", at(100)), at(100))
    assert after.status is AssetStatus.in_transit


def test_usage_sums_days_out_and_lists_custodians_in_order() -> None:
    serviced = T0 - timedelta(days=30)
    usage = summarise_usage(
        trips_counted=2,
        returns=[
            Trip("acme", 3 * 86_400.0),
            Trip("globex", 1.5 * 86_400),
            Trip("acme", None),  # departure never seen: counts as a trip, not as days
        ],
        last_service_at=serviced,
        last_calibration_at=None,
    )
    assert (usage.trips, usage.days_out, usage.custodians) == (3, 4.5, ("acme", "globex"))
    assert usage.as_json() == {
        "trips": 3,
        "days_out": 4.5,
        "custodians": ["acme", "globex"],
        "last_service_at": serviced.isoformat(),
        "last_calibration_at": None,
    }


@given(st.integers(0, 1000), st.lists(st.floats(0, 10_000_000), max_size=30))
def test_usage_never_counts_fewer_trips_than_returns(counted: int, durations: list[float]) -> None:
    usage = summarise_usage(
        trips_counted=counted,
        returns=[Trip("acme", d) for d in durations],
        last_service_at=None,
        last_calibration_at=None,
    )
    assert usage.trips == max(counted, len(durations))
    assert usage.days_out == pytest.approx(sum(durations) / 86_400, abs=0.01)


def _certificate(**changes: object) -> ErasureCertificate:
    fields: dict[str, object] = {
        "id": "BL-1",
        "method": ErasureMethod.crypto_erase,
        "tool": "Blancco 7.9",
        "operator": "ana",
        "performed_at": datetime(2026, 11, 24, 9, 40, tzinfo=UTC),
        "certificate_sha256": "ab" * 32,
    }
    return ErasureCertificate(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_certificate_needs_a_sha256_an_aware_time_and_who_made_it() -> None:
    assert _certificate().certificate_sha256 == "ab" * 32
    for bad in ({"certificate_sha256": "AB" * 32}, {"certificate_sha256": "ab" * 31}):
        with pytest.raises(ValueError, match="64 lowercase hex"):
            _certificate(**bad)
    with pytest.raises(ValueError, match="timezone-aware"):
        _certificate(performed_at=datetime(2026, 11, 24, 9, 40))
    with pytest.raises(ValueError, match="id, tool and operator"):
        _certificate(tool=" ")
