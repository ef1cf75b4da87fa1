"""`apply(state, observation, now)`: the one pure transition function the consumer and API call.

Order is the reader's event time, not arrival: an observation older than the last applied one
is only recorded as late, one received recently is a no-op, a reader clock more than
`CLOCK_SKEW_TOLERANCE` ahead of `now` is clamped to `now` and flagged.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tracker.domain.custody import change_custody
from tracker.domain.events import (
    AlertRaised,
    AlertResolved,
    AssetStatusChanged,
    ClockClamped,
    Event,
    ObservationIgnored,
    ObservationRecordedLate,
    Stamp,
)
from tracker.domain.lifecycle import SIGHTING_CUES, Cue, cue_of, next_transition
from tracker.domain.location import relocate
from tracker.domain.model import AssetState, AssetStatus, ObservationKey, require_aware
from tracker.domain.observations import (
    DispositionClaimed,
    MarkedMissing,
    Observation,
    WrittenOff,
)
from tracker.domain.rules import CLAIM_ALERTS, AlertKind, kinds_resolved_on_reappearance

CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)
# Enough to cover a resent producer batch for one tag; older replays are caught by the
# event store's uniqueness on (asset_id, observation_id, kind).
RECENT_OBSERVATIONS_KEPT = 16

_OUT_OF_SIGHT = frozenset({AssetStatus.missing, AssetStatus.lost})
# Alerts raised on a partner's word: the state, not the status, says they are open.
_CLAIMED = frozenset(CLAIM_ALERTS.values())


def apply(
    state: AssetState, observation: Observation, now: datetime
) -> tuple[AssetState, list[Event]]:
    require_aware("now", now)
    if _already_received(state, observation.observation_id):
        return state, []
    clamped = observation.seen_at - now > CLOCK_SKEW_TOLERANCE
    key = ObservationKey(now if clamped else observation.seen_at, observation.observation_id)
    stamp = Stamp(
        asset_id=state.asset_id, observation_id=key.observation_id, occurred_at=key.seen_at
    )
    recent = (*state.recent_observation_ids, key.observation_id)[-RECENT_OBSERVATIONS_KEPT:]
    state = replace(state, recent_observation_ids=recent)
    last = state.last_applied
    if last is not None and key < last:
        late = ObservationRecordedLate(
            **stamp, observation_kind=observation.kind, last_applied_at=last.seen_at
        )
        return state, [late]
    events: list[Event] = []
    if clamped:
        events.append(ClockClamped(**stamp, reported_seen_at=observation.seen_at))
    cue = cue_of(observation)
    sighted = cue in SIGHTING_CUES
    state = replace(
        state, last_applied=key, last_seen_at=key.seen_at if sighted else state.last_seen_at
    )
    if state.status is AssetStatus.retired:
        ignored = ObservationIgnored(
            **stamp, observation_kind=observation.kind, reason="asset is retired"
        )
        return state, [*events, ignored]
    state, moved = relocate(state, observation, stamp)
    state, changed = _follow_lifecycle(state, observation, cue, stamp)
    state, claims = _follow_claims(state, observation, sighted, stamp)
    return state, events + moved + changed + claims


def _already_received(state: AssetState, observation_id: str) -> bool:
    # The last applied id also counts: a store that keeps only that (not the recent ids)
    # must still recognise a replay of it.
    last = state.last_applied
    return observation_id in state.recent_observation_ids or (
        last is not None and last.observation_id == observation_id
    )


def _follow_lifecycle(
    state: AssetState, observation: Observation, cue: Cue, stamp: Stamp
) -> tuple[AssetState, list[Event]]:
    transition = next_transition(state.status, cue)
    if transition is None:
        return state, []
    before = state
    state, events = change_custody(state, observation, transition.custody, stamp)
    state = replace(state, status=transition.to_status)
    if state.status is not before.status:
        events.append(
            AssetStatusChanged(
                **stamp, from_status=before.status, to_status=state.status, cause=cue
            )
        )
    if before.status in _OUT_OF_SIGHT and cue in SIGHTING_CUES:
        events.extend(
            AlertResolved(**stamp, alert_kind=kind, reason="asset seen again")
            for kind in kinds_resolved_on_reappearance()
            if kind not in _CLAIMED
        )
    events.extend(_alerts_for_decision(observation, stamp))
    return state, events


def _follow_claims(
    state: AssetState, observation: Observation, sighted: bool, stamp: Stamp
) -> tuple[AssetState, list[Event]]:
    """A partner's claim opens its alert (once: one open alert per kind); the next sighting
    of the asset (by our readers, or a partner's) resolves what claims opened. Status and
    custody stay: it is the partner's word."""
    if isinstance(observation, DispositionClaimed):
        kind = CLAIM_ALERTS[observation.disposition]
        if kind in state.open_claims:
            return state, []
        reason = f"reported {observation.disposition.value} by {observation.reporter}"
        raised = AlertRaised(**stamp, alert_kind=kind, reason=reason)
        return replace(state, open_claims=state.open_claims | {kind}), [raised]
    if not sighted or not state.open_claims:
        return state, []
    kinds = [k for k in kinds_resolved_on_reappearance() if k in state.open_claims]
    resolved: list[Event] = [
        AlertResolved(**stamp, alert_kind=kind, reason="asset seen again") for kind in kinds
    ]
    return replace(state, open_claims=state.open_claims - set(kinds)), resolved


def _alerts_for_decision(observation: Observation, stamp: Stamp) -> list[Event]:
    """Sweeper and audit decisions open the alert that goes with them."""
    match observation:
        case MarkedMissing():
            reason = f"marked missing by {observation.source.value}"
            return [AlertRaised(**stamp, alert_kind=AlertKind.not_seen, reason=reason)]
        case WrittenOff():
            return [
                AlertRaised(
                    **stamp,
                    alert_kind=AlertKind.lost,
                    reason="missing past the write-off threshold",
                    replacement_value=observation.replacement_value,
                )
            ]
    return []
