"""A partner's claim that an asset was stolen, destroyed or disposed of: `apply` raises the
alert that goes with it once, moves nothing, and the next sighting resolves it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest
from tracker_builders import (
    ACME,
    HOME,
    at,
    fresh,
    next_id,
    observation_for,
    of_type,
    run,
    state_in,
    zone_entered,
)

from tracker.domain import (
    DEFAULT_RULES,
    AlertKind,
    AlertRaised,
    AlertResolved,
    AssetState,
    AssetStatus,
    ClaimedDisposition,
    Cue,
    DispositionClaimed,
    Event,
    Observation,
    ObservationIgnored,
    ObservationRecordedLate,
    Severity,
    apply,
)
from tracker.domain.reported import Reported, ReportedKind, apply_reported

STOLEN, DESTROYED, DISPOSED = (
    ClaimedDisposition.stolen,
    ClaimedDisposition.destroyed,
    ClaimedDisposition.disposed,
)


def claim(minute: float, disposition: ClaimedDisposition = STOLEN) -> DispositionClaimed:
    return DispositionClaimed(
        observation_id=next_id(),
        seen_at=at(minute),
        disposition=disposition,
        reporter="Acme EPCIS (key 0a1b2c)",
    )


@dataclass
class FakeAlerts:
    """The `alerts` table as the store keeps it: one open alert per (asset, kind); the state
    of the next batch learns its open claims from here, as `load_states` does."""

    open: dict[tuple[str, str], str] = field(default_factory=dict)  # → reason
    raised: int = 0

    def save(self, events: list[Event]) -> None:
        for event in events:
            key = (event.asset_id, getattr(event, "alert_kind", ""))
            if isinstance(event, AlertRaised) and key not in self.open:
                self.open[key] = event.reason
                self.raised += 1
            elif isinstance(event, AlertResolved):
                self.open.pop(key, None)

    def load(self, state: AssetState) -> AssetState:
        claims = {AlertKind.reported_stolen, AlertKind.reported_destroyed}
        found = {AlertKind(kind) for asset, kind in self.open if asset == state.asset_id}
        return replace(state, open_claims=frozenset(found & claims))

    def batch(
        self, state: AssetState, *observations: Observation
    ) -> tuple[AssetState, list[Event]]:
        """One consumer batch: state loaded from the store, applied, saved."""
        state, events = run(self.load(state), observations)
        self.save(events)
        return state, events


def test_a_stolen_claim_raises_a_critical_alert_and_moves_nothing() -> None:
    before, _ = run(fresh(), [zone_entered(5)])
    after, events = apply(before, claim(10), at(11))

    (alert,) = of_type(events, AlertRaised)
    assert alert.alert_kind is AlertKind.reported_stolen
    assert DEFAULT_RULES[alert.alert_kind].severity is Severity.critical
    assert alert.reason == "reported stolen by Acme EPCIS (key 0a1b2c)"
    assert events == [alert]  # no status change, no custody transfer, no move
    assert (after.status, after.site_id, after.zone_id, after.custodian_id) == (
        before.status,
        before.site_id,
        before.zone_id,
        before.custodian_id,
    )
    assert after.last_seen_at == before.last_seen_at == at(5)  # a claim is not a sighting
    assert after.open_claims == {AlertKind.reported_stolen}


@pytest.mark.parametrize("disposition", [DESTROYED, DISPOSED])
def test_destroyed_and_disposed_raise_reported_destroyed_a_warning(
    disposition: ClaimedDisposition,
) -> None:
    _, events = apply(fresh(), claim(10, disposition), at(10))

    (alert,) = of_type(events, AlertRaised)
    assert alert.alert_kind is AlertKind.reported_destroyed
    assert disposition.value in alert.reason
    assert DEFAULT_RULES[alert.alert_kind].severity is Severity.warning


def test_a_second_claim_raises_no_second_alert_in_one_batch_or_the_next() -> None:
    alerts = FakeAlerts()
    state, first = alerts.batch(fresh(), claim(10), claim(11))
    state, second = alerts.batch(state, claim(12), claim(13, DISPOSED), claim(14, DESTROYED))

    assert [a.alert_kind for a in of_type(first, AlertRaised)] == [AlertKind.reported_stolen]
    assert [a.alert_kind for a in of_type(second, AlertRaised)] == [AlertKind.reported_destroyed]
    assert alerts.raised == 2
    assert sorted(kind for _, kind in alerts.open) == ["reported_destroyed", "reported_stolen"]


def test_a_later_read_resolves_the_claims_and_only_once() -> None:
    alerts = FakeAlerts()
    state, _ = alerts.batch(fresh(), claim(10), claim(11, DESTROYED))
    state, seen = alerts.batch(state, zone_entered(20, zone="z-yard"))
    state, again = alerts.batch(state, zone_entered(30, zone="z-storage"))

    resolved = of_type(seen, AlertResolved)
    assert {r.alert_kind for r in resolved} == {
        AlertKind.reported_stolen,
        AlertKind.reported_destroyed,
    }
    assert all(r.reason == "asset seen again" for r in resolved)
    assert alerts.open == {} and state.open_claims == frozenset()
    assert of_type(again, AlertResolved) == []  # nothing left to resolve, nothing written
    # Claimed again after it turned up: a new alert.
    _, later = alerts.batch(state, claim(40))
    assert [a.alert_kind for a in of_type(later, AlertRaised)] == [AlertKind.reported_stolen]


def test_a_claim_resolved_by_hand_can_be_raised_again() -> None:
    alerts = FakeAlerts()
    state, _ = alerts.batch(fresh(), claim(10))
    alerts.open.clear()  # an operator resolved it through the API
    _, events = alerts.batch(state, claim(20))

    assert [a.alert_kind for a in of_type(events, AlertRaised)] == [AlertKind.reported_stolen]


def test_a_sighting_without_open_claims_resolves_nothing() -> None:
    _, events = run(fresh(), [zone_entered(10), zone_entered(20, zone="z-yard")])

    assert of_type(events, AlertResolved) == []


def test_a_missing_asset_with_a_claim_seen_again_resolves_each_alert_once() -> None:
    missing = observation_for(Cue.marked_missing, 10, None)
    state, _ = run(fresh(), [missing, claim(20)])
    state, events = run(state, [zone_entered(30)])

    assert state.status is AssetStatus.in_service
    kinds = [r.alert_kind for r in of_type(events, AlertResolved)]
    assert sorted(kinds) == ["lost", "not_seen", "reported_stolen"]


def test_a_claim_older_than_what_we_saw_since_is_late_and_raises_nothing() -> None:
    state, _ = run(fresh(), [zone_entered(30)])
    after, events = apply(state, claim(10), at(31))

    assert [type(e) for e in events] == [ObservationRecordedLate]
    assert after.open_claims == frozenset()


def test_a_claim_about_a_retired_asset_is_ignored() -> None:
    _, events = apply(state_in(AssetStatus.retired), claim(10), at(10))

    assert [type(e) for e in events] == [ObservationIgnored]


def _fact(**fields: object) -> Reported:
    return Reported(
        kind=ReportedKind.disposition_claimed,
        observation_id="epcis:claim-1",
        seen_at=at(10),
        **fields,  # type: ignore[arg-type]
    )


def test_a_reported_claim_is_applied_as_the_claim_and_replays_to_nothing() -> None:
    fact = _fact(disposition=STOLEN, reporter="carrier key")
    state, events = apply_reported(fresh(), fact, at(10))
    again, replayed = apply_reported(state, fact, at(12))

    (alert,) = of_type(events, AlertRaised)
    assert (alert.alert_kind, alert.reason) == (
        AlertKind.reported_stolen,
        "reported stolen by carrier key",
    )
    assert (state.status, state.site_id, state.custodian_id) == (
        AssetStatus.in_service,
        HOME,
        fresh().custodian_id,
    )
    assert replayed == [] and again == state


@pytest.mark.parametrize("fields", [{"reporter": "x"}, {"disposition": STOLEN}])
def test_a_claim_names_its_disposition_and_reporter(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="disposition and its reporter"):
        _fact(**fields)


def test_a_claim_leaves_custody_with_whoever_holds_the_asset() -> None:
    at_acme = replace(state_in(AssetStatus.at_custodian), custodian_id=ACME)
    after, _ = apply(at_acme, claim(1_000), at(1_000))

    assert (after.status, after.custodian_id) == (AssetStatus.at_custodian, ACME)
