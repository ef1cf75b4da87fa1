"""Alert rules as data: one row per kind, overridable per asset type and per site.

`apply` raises the event-driven kinds (threshold None) and resolves the kinds flagged here;
the sweeper evaluates the time-based kinds against `fires_at`, one set-based query per rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from tracker.domain.model import require_aware
from tracker.domain.observations import ClaimedDisposition


class AlertKind(StrEnum):
    unauthorized_exit = "unauthorized_exit"
    overdue_return = "overdue_return"
    not_seen = "not_seen"
    unexpected_location = "unexpected_location"
    lost = "lost"
    service_due = "service_due"
    replacement_due = "replacement_due"
    # A partner's claim (its EPCIS disposition), not a conclusion of ours.
    reported_stolen = "reported_stolen"
    reported_destroyed = "reported_destroyed"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    critical = "critical"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRule:
    kind: AlertKind
    # How long after the rule's reference time the alert fires; None = the moment it happens.
    threshold: timedelta | None
    severity: Severity
    enabled: bool = True
    resolves_on_reappearance: bool = False
    resolves_on_return: bool = False


def _rule(
    kind: AlertKind, threshold: timedelta | None, severity: Severity, **flags: bool
) -> AlertRule:
    return AlertRule(kind=kind, threshold=threshold, severity=severity, **flags)


# Every threshold counts forward from the kind's reference time: overdue_return from the
# dispatch's expected return (a grace period), not_seen from the last sighting,
# unexpected_location from leaving the proper storage zone, lost from being marked missing,
# service_due from the next due date, replacement_due from the date the type's age or trip
# limit was reached. unauthorized_exit is raised by `apply` the moment the asset leaves, the
# reported_* kinds the moment a partner's claim is applied (CLAIM_ALERTS).
DEFAULT_RULES: Mapping[AlertKind, AlertRule] = MappingProxyType(
    {
        rule.kind: rule
        for rule in (
            _rule(AlertKind.unauthorized_exit, None, Severity.critical),
            _rule(
                AlertKind.overdue_return, timedelta(0), Severity.warning, resolves_on_return=True
            ),
            _rule(
                AlertKind.not_seen,
                timedelta(days=7),
                Severity.warning,
                resolves_on_reappearance=True,
            ),
            _rule(AlertKind.unexpected_location, timedelta(hours=4), Severity.warning),
            _rule(
                AlertKind.lost, timedelta(days=30), Severity.critical, resolves_on_reappearance=True
            ),
            _rule(AlertKind.service_due, timedelta(0), Severity.info),
            _rule(AlertKind.replacement_due, timedelta(0), Severity.info),
            _rule(
                AlertKind.reported_stolen,
                None,
                Severity.critical,
                resolves_on_reappearance=True,
            ),
            _rule(
                AlertKind.reported_destroyed,
                None,
                Severity.warning,
                resolves_on_reappearance=True,
            ),
        )
    }
)

# A partner's disposition claim → the alert it raises (tracker.domain.observations).
CLAIM_ALERTS: Mapping[ClaimedDisposition, AlertKind] = MappingProxyType(
    {
        ClaimedDisposition.stolen: AlertKind.reported_stolen,
        ClaimedDisposition.destroyed: AlertKind.reported_destroyed,
        ClaimedDisposition.disposed: AlertKind.reported_destroyed,
    }
)


class OverrideScope(StrEnum):
    asset_type = "asset_type"
    site = "site"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleOverride:
    """Changes only the fields it sets; unset (None) fields keep the layer below."""

    kind: AlertKind
    scope: OverrideScope
    scope_id: str
    threshold: timedelta | None = None
    severity: Severity | None = None
    enabled: bool | None = None


def _overlay(rule: AlertRule, override: RuleOverride) -> AlertRule:
    return replace(
        rule,
        threshold=rule.threshold if override.threshold is None else override.threshold,
        severity=rule.severity if override.severity is None else override.severity,
        enabled=rule.enabled if override.enabled is None else override.enabled,
    )


def resolve_rule(
    kind: AlertKind,
    *,
    asset_type_id: str | None,
    site_id: str | None,
    overrides: Iterable[RuleOverride] = (),
    defaults: Mapping[AlertKind, AlertRule] = DEFAULT_RULES,
) -> AlertRule:
    """The rule in force for one asset: site override beats type override beats default."""
    relevant = [override for override in overrides if override.kind is kind]
    layers = [
        (OverrideScope.asset_type, asset_type_id),
        (OverrideScope.site, site_id),
    ]
    rule = defaults[kind]
    for scope, scope_id in layers:
        if scope_id is None:
            continue
        for override in relevant:
            if override.scope is scope and override.scope_id == scope_id:
                rule = _overlay(rule, override)
    return rule


def fires_at(rule: AlertRule, reference_time: datetime) -> datetime | None:
    """When a time-based rule fires for a reference time; None when it never fires on time."""
    require_aware("reference_time", reference_time)
    if not rule.enabled or rule.threshold is None:
        return None
    return reference_time + rule.threshold


def kinds_resolved_on_reappearance(
    rules: Mapping[AlertKind, AlertRule] = DEFAULT_RULES,
) -> tuple[AlertKind, ...]:
    return tuple(kind for kind, rule in rules.items() if rule.resolves_on_reappearance)


def kinds_resolved_on_return(
    rules: Mapping[AlertKind, AlertRule] = DEFAULT_RULES,
) -> tuple[AlertKind, ...]:
    return tuple(kind for kind, rule in rules.items() if rule.resolves_on_return)
