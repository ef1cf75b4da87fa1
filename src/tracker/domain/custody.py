"""Who holds the asset: custody moves to a dispatch's custodian and comes back home."""

from __future__ import annotations

from dataclasses import replace

from tracker.domain.events import (
    AlertRaised,
    AlertResolved,
    CustodyTransferred,
    Event,
    Stamp,
    TurnaroundRecorded,
)
from tracker.domain.lifecycle import CustodyChange
from tracker.domain.model import AssetState, OpenDispatch
from tracker.domain.observations import HandheldScanned, Observation, PortalPassed, ZoneEntered
from tracker.domain.rules import AlertKind, kinds_resolved_on_return


def open_dispatch_of(observation: Observation) -> OpenDispatch | None:
    match observation:
        case ZoneEntered() | PortalPassed() | HandheldScanned():
            return observation.open_dispatch
    return None


def site_of(observation: Observation) -> str | None:
    match observation:
        case ZoneEntered() | PortalPassed() | HandheldScanned():
            return observation.site_id
    return None


def receiver_of(observation: Observation) -> str | None:
    """The open dispatch's custodian wins over whatever a handheld operator typed."""
    dispatch = open_dispatch_of(observation)
    if dispatch is not None:
        return dispatch.custodian_id
    if isinstance(observation, HandheldScanned):
        return observation.custodian_id
    return None


def change_custody(
    state: AssetState, observation: Observation, change: CustodyChange, stamp: Stamp
) -> tuple[AssetState, list[Event]]:
    match change:
        case CustodyChange.keep:
            return state, []
        case CustodyChange.home:
            return _return_home(state, observation, stamp)
        case CustodyChange.to_receiver:
            return _hand_to_receiver(state, observation, stamp)


def _hand_to_receiver(
    state: AssetState, observation: Observation, stamp: Stamp
) -> tuple[AssetState, list[Event]]:
    receiver = receiver_of(observation)
    if receiver is None:
        # Nobody authorised this move, so nobody else holds the asset: custody stays.
        alert = AlertRaised(
            **stamp,
            alert_kind=AlertKind.unauthorized_exit,
            reason="left without an open dispatch",
            site_id=site_of(observation),
        )
        return state, [alert]
    dispatch = open_dispatch_of(observation)
    dispatch_id = dispatch.dispatch_id if dispatch else None
    events: list[Event] = []
    if state.dispatch_id is not None and state.dispatch_id != dispatch_id:
        # Leaving on a new dispatch proves the previous one came back, unseen: close it.
        events = _close_dispatch(state, state.dispatch_id, observation, stamp, return_seen=False)
    unchanged = receiver == state.custodian_id and dispatch_id == state.dispatch_id
    moved = replace(
        state,
        custodian_id=receiver,
        custody_since=state.custody_since if unchanged else stamp["occurred_at"],
        dispatch_id=dispatch_id,
        return_due_at=dispatch.expected_return_at if dispatch else None,
    )
    if receiver != state.custodian_id:
        events.append(
            CustodyTransferred(
                **stamp,
                from_custodian_id=state.custodian_id,
                to_custodian_id=receiver,
                dispatch_id=dispatch_id,
            )
        )
    return moved, events


def _return_home(
    state: AssetState, observation: Observation, stamp: Stamp
) -> tuple[AssetState, list[Event]]:
    events: list[Event] = []
    if state.custodian_id != state.home_custodian_id:
        events.append(
            CustodyTransferred(
                **stamp,
                from_custodian_id=state.custodian_id,
                to_custodian_id=state.home_custodian_id,
                dispatch_id=state.dispatch_id,
            )
        )
    if state.dispatch_id is not None:
        events.extend(_close_dispatch(state, state.dispatch_id, observation, stamp))
    home = replace(
        state,
        custodian_id=state.home_custodian_id,
        custody_since=stamp["occurred_at"] if events else state.custody_since,
        dispatch_id=None,
        return_due_at=None,
    )
    return home, events


def _close_dispatch(
    state: AssetState,
    dispatch_id: str,
    observation: Observation,
    stamp: Stamp,
    *,
    return_seen: bool = True,
) -> list[Event]:
    returned_at = stamp["occurred_at"]
    overdue = state.return_due_at is not None and returned_at > state.return_due_at
    returned_by = observation.custodian_id if isinstance(observation, HandheldScanned) else None
    turnaround = TurnaroundRecorded(
        **stamp,
        dispatch_id=dispatch_id,
        custodian_id=state.custodian_id,
        returned_by_custodian_id=returned_by if returned_by != state.custodian_id else None,
        returned_to_site_id=site_of(observation),
        departed_at=state.custody_since,
        duration=returned_at - state.custody_since if state.custody_since else None,
        overdue=overdue,
        return_seen=return_seen,
    )
    resolved = [
        AlertResolved(**stamp, alert_kind=kind, reason="returned")
        for kind in (kinds_resolved_on_return() if overdue else ())
    ]
    return [turnaround, *resolved]
