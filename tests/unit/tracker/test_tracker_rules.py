"""The alert rules table and how per-type and per-site overrides layer on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.domain import (
    DEFAULT_RULES,
    AlertKind,
    OverrideScope,
    RuleOverride,
    Severity,
    fires_at,
    resolve_rule,
)
from tracker.domain.rules import kinds_resolved_on_reappearance, kinds_resolved_on_return

REFERENCE = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
PALLET, TOOL = "type-pallet", "type-tool"
DC, STORE = "site-dc", "site-store"


def test_every_alert_kind_has_exactly_one_default_rule() -> None:
    assert set(DEFAULT_RULES) == set(AlertKind)
    assert all(rule.kind is kind for kind, rule in DEFAULT_RULES.items())


# When each kind fires, counted from its reference time (see rules.py), with no overrides.
EXPECTED_DEFAULTS = [
    (AlertKind.unauthorized_exit, None, Severity.critical),
    (AlertKind.overdue_return, REFERENCE, Severity.warning),
    (AlertKind.not_seen, REFERENCE + timedelta(days=7), Severity.warning),
    (AlertKind.unexpected_location, REFERENCE + timedelta(hours=4), Severity.warning),
    (AlertKind.lost, REFERENCE + timedelta(days=30), Severity.critical),
    (AlertKind.service_due, REFERENCE, Severity.info),
    (AlertKind.replacement_due, REFERENCE, Severity.info),
    # Raised the moment a partner's claim is applied, never by the clock.
    (AlertKind.reported_stolen, None, Severity.critical),
    (AlertKind.reported_destroyed, None, Severity.warning),
]


@pytest.mark.parametrize(("kind", "fires", "severity"), EXPECTED_DEFAULTS)
def test_each_rule_fires_when_and_how_loud_by_default(
    kind: AlertKind, fires: datetime | None, severity: Severity
) -> None:
    rule = resolve_rule(kind, asset_type_id=PALLET, site_id=DC)

    assert fires_at(rule, REFERENCE) == fires
    assert rule.severity is severity


def test_reappearance_resolves_not_seen_lost_and_partner_claims_only() -> None:
    assert set(kinds_resolved_on_reappearance()) == {
        AlertKind.not_seen,
        AlertKind.lost,
        AlertKind.reported_stolen,
        AlertKind.reported_destroyed,
    }


def test_return_resolves_overdue_return_only() -> None:
    assert kinds_resolved_on_return() == (AlertKind.overdue_return,)


def _override(
    scope: OverrideScope,
    scope_id: str,
    *,
    threshold: timedelta | None = None,
    severity: Severity | None = None,
) -> RuleOverride:
    return RuleOverride(
        kind=AlertKind.not_seen,
        scope=scope,
        scope_id=scope_id,
        threshold=threshold,
        severity=severity,
    )


TYPE_2D = _override(OverrideScope.asset_type, PALLET, threshold=timedelta(days=2))
SITE_1D = _override(OverrideScope.site, DC, threshold=timedelta(days=1))
SITE_CRITICAL = _override(OverrideScope.site, DC, severity=Severity.critical)


def test_type_override_beats_default() -> None:
    rule = resolve_rule(AlertKind.not_seen, asset_type_id=PALLET, site_id=DC, overrides=[TYPE_2D])

    assert rule.threshold == timedelta(days=2)


@pytest.mark.parametrize("order", [[TYPE_2D, SITE_1D], [SITE_1D, TYPE_2D]])
def test_site_override_beats_type_override_whatever_the_order(order: list[RuleOverride]) -> None:
    rule = resolve_rule(AlertKind.not_seen, asset_type_id=PALLET, site_id=DC, overrides=order)

    assert rule.threshold == timedelta(days=1)


def test_overrides_layer_field_by_field() -> None:
    rule = resolve_rule(
        AlertKind.not_seen, asset_type_id=PALLET, site_id=DC, overrides=[TYPE_2D, SITE_CRITICAL]
    )

    assert (rule.threshold, rule.severity) == (timedelta(days=2), Severity.critical)


def test_overrides_for_other_types_sites_or_kinds_do_not_apply() -> None:
    elsewhere = [
        _override(OverrideScope.asset_type, TOOL, threshold=timedelta(hours=1)),
        _override(OverrideScope.site, STORE, threshold=timedelta(hours=2)),
        RuleOverride(
            kind=AlertKind.lost, scope=OverrideScope.site, scope_id=DC, severity=Severity.info
        ),
        # A site override whose id happens to equal the type id must not match the type.
        _override(OverrideScope.site, PALLET, threshold=timedelta(hours=3)),
    ]

    rule = resolve_rule(AlertKind.not_seen, asset_type_id=PALLET, site_id=DC, overrides=elsewhere)

    assert rule == DEFAULT_RULES[AlertKind.not_seen]


def test_asset_without_site_gets_only_its_type_override() -> None:
    rule = resolve_rule(
        AlertKind.not_seen, asset_type_id=PALLET, site_id=None, overrides=[TYPE_2D, SITE_1D]
    )

    assert rule.threshold == timedelta(days=2)


def test_a_site_can_switch_a_rule_off() -> None:
    off = RuleOverride(
        kind=AlertKind.unexpected_location, scope=OverrideScope.site, scope_id=DC, enabled=False
    )

    rule = resolve_rule(
        AlertKind.unexpected_location, asset_type_id=PALLET, site_id=DC, overrides=[off]
    )

    assert rule.enabled is False
    assert fires_at(rule, REFERENCE) is None


def test_fires_at_rejects_naive_reference_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        fires_at(DEFAULT_RULES[AlertKind.not_seen], datetime(2026, 11, 2))
