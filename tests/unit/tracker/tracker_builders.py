"""Small builders for tracker domain tests: one home site, one other site, one customer."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from tracker.domain import (
    AssetState,
    AssetStatus,
    ClaimedDisposition,
    Cue,
    DispositionClaimed,
    Event,
    HandheldAction,
    HandheldScanned,
    MarkedMissing,
    MissingSource,
    Observation,
    OpenDispatch,
    PortalDirection,
    PortalPassed,
    RecoveryOpened,
    Redeployed,
    Retired,
    WrittenOff,
    ZoneEntered,
    ZoneKind,
    apply,
    new_asset_state,
)

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
HOME = "site-home"
OTHER_SITE = "site-other"
CUSTOMER_SITE = "site-acme-yard"
HOME_CUSTODIAN = "cust-home"
ACME = "cust-acme"
CARRIER = "cust-carrier"
DISPATCH = OpenDispatch(
    dispatch_id="d-1", custodian_id=ACME, expected_return_at=T0 + timedelta(days=14)
)
SECOND_DISPATCH = OpenDispatch(dispatch_id="d-2", custodian_id=CARRIER)

_ids = itertools.count()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def next_id() -> str:
    return f"obs-{next(_ids)}"


def fresh() -> AssetState:
    return new_asset_state("asset-1", home_site_id=HOME, home_custodian_id=HOME_CUSTODIAN)


def zone_entered(
    minute: float,
    *,
    site: str = HOME,
    zone: str = "z-storage",
    kind: ZoneKind = ZoneKind.storage,
    dispatch: OpenDispatch | None = None,
) -> ZoneEntered:
    return ZoneEntered(
        observation_id=next_id(),
        seen_at=at(minute),
        site_id=site,
        zone_id=zone,
        zone_kind=kind,
        read_point_id=f"rp-{zone}",
        open_dispatch=dispatch,
    )


def external(minute: float, *, dispatch: OpenDispatch | None = None) -> ZoneEntered:
    return zone_entered(
        minute, site=CUSTOMER_SITE, zone="z-acme", kind=ZoneKind.external, dispatch=dispatch
    )


def portal(
    minute: float,
    direction: PortalDirection,
    *,
    site: str = HOME,
    kind: ZoneKind = ZoneKind.dock,
    dispatch: OpenDispatch | None = None,
) -> PortalPassed:
    return PortalPassed(
        observation_id=next_id(),
        seen_at=at(minute),
        direction=direction,
        site_id=site,
        zone_id="z-dock" if kind is ZoneKind.dock else "z-acme-door",
        read_point_id="door-3",
        zone_kind=kind,
        open_dispatch=dispatch,
    )


def handheld(
    minute: float,
    action: HandheldAction,
    *,
    site: str = HOME,
    zone: str | None = None,
    zone_kind: ZoneKind | None = None,
    custodian: str | None = None,
    dispatch: OpenDispatch | None = None,
) -> HandheldScanned:
    return HandheldScanned(
        observation_id=next_id(),
        seen_at=at(minute),
        action=action,
        operator="op-7",
        site_id=site,
        zone_id=zone,
        zone_kind=zone_kind,
        custodian_id=custodian,
        open_dispatch=dispatch,
    )


def observation_for(cue: Cue, minute: float, dispatch: OpenDispatch | None) -> Observation:
    """The plainest observation that means `cue`."""
    oid, seen_at = next_id(), at(minute)
    builders: dict[Cue, Callable[[], Observation]] = {
        Cue.exited: lambda: portal(minute, PortalDirection.outbound, dispatch=dispatch),
        Cue.seen_on_site: lambda: zone_entered(minute, dispatch=dispatch),
        Cue.seen_external: lambda: external(minute, dispatch=dispatch),
        Cue.left_external: lambda: portal(
            minute,
            PortalDirection.outbound,
            site=CUSTOMER_SITE,
            kind=ZoneKind.external,
            dispatch=dispatch,
        ),
        Cue.marked_missing: lambda: MarkedMissing(
            observation_id=oid, seen_at=seen_at, source=MissingSource.sweeper
        ),
        Cue.written_off: lambda: WrittenOff(observation_id=oid, seen_at=seen_at),
        Cue.recovery_opened: lambda: RecoveryOpened(
            observation_id=oid, seen_at=seen_at, recovery_id="rec-1"
        ),
        Cue.redeployed: lambda: Redeployed(observation_id=oid, seen_at=seen_at),
        Cue.retired: lambda: Retired(observation_id=oid, seen_at=seen_at, reason="worn out"),
        Cue.claimed: lambda: DispositionClaimed(
            observation_id=oid,
            seen_at=seen_at,
            disposition=ClaimedDisposition.stolen,
            reporter="acme",
        ),
    }
    return builders[cue]()


def run(
    state: AssetState, observations: Iterable[Observation], now: datetime | None = None
) -> tuple[AssetState, list[Event]]:
    """Apply in order, each at its own seen_at unless `now` is given; collect every event."""
    events: list[Event] = []
    for observation in observations:
        state, produced = apply(state, observation, now or observation.seen_at)
        events.extend(produced)
    return state, events


# How to reach each status from a fresh asset, the way it happens in a warehouse.
_PATHS: dict[AssetStatus, list[tuple[Cue, OpenDispatch | None]]] = {
    AssetStatus.in_service: [],
    AssetStatus.in_transit: [(Cue.exited, DISPATCH)],
    AssetStatus.at_custodian: [(Cue.exited, DISPATCH), (Cue.seen_external, DISPATCH)],
    AssetStatus.missing: [(Cue.marked_missing, None)],
    AssetStatus.lost: [(Cue.marked_missing, None), (Cue.written_off, None)],
    AssetStatus.in_recovery: [(Cue.recovery_opened, None)],
    AssetStatus.retired: [(Cue.retired, None)],
}


def state_in(status: AssetStatus) -> AssetState:
    path = _PATHS[status]
    observations = [observation_for(cue, 10 * (i + 1), d) for i, (cue, d) in enumerate(path)]
    state, _ = run(fresh(), observations)
    assert state.status is status
    return state


E = TypeVar("E")


def of_type(events: Iterable[Event], event_type: type[E]) -> list[E]:
    return [event for event in events if isinstance(event, event_type)]


def position(state: AssetState) -> AssetState:
    """The state without its duplicate-detection memory: what a late observation must not move."""
    return replace(state, recent_observation_ids=())
