"""`sweep(conn, now)`: evaluate every time-based alert rule once, each in its own transaction,
then open the recovery cases that returns call for (tracker.recovery, by asset type)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.domain import AlertKind, AssetStatus, Cue
from tracker.domain.model import require_aware
from tracker.recovery.store.returns import IntakeOutcome, open_cases_on_return
from tracker.store import OUTBOX_KINDS
from tracker.store.writes import EVENTS_LOCK
from tracker.sweep.layers import SHORTEST_THRESHOLD, rule_parameters
from tracker.sweep.life import (
    REPLACEMENT_DUE,
    RESOLVE_UNEXPECTED_LOCATION,
    SERVICE_DUE,
    UNEXPECTED_LOCATION,
)
from tracker.sweep.statements import LOST, NOT_SEEN, OVERDUE_RETURN


@dataclass(frozen=True, slots=True)
class TimeRule:
    """One time-based rule: its statement and the words its events and alerts carry."""

    kind: AlertKind
    statement: TextClause
    reason: str
    # (from, to, cause) of the status change the rule makes; None when it only alerts.
    transition: tuple[AssetStatus, AssetStatus, Cue] | None = None


# The reasons are those `tracker.domain.apply` gives the same decisions.
TIME_RULES: tuple[TimeRule, ...] = (
    TimeRule(AlertKind.overdue_return, text(OVERDUE_RETURN), "not returned by the expected date"),
    TimeRule(
        AlertKind.not_seen,
        text(NOT_SEEN),
        "marked missing by sweeper",
        (AssetStatus.in_service, AssetStatus.missing, Cue.marked_missing),
    ),
    TimeRule(
        AlertKind.lost,
        text(LOST),
        "missing past the write-off threshold",
        (AssetStatus.missing, AssetStatus.lost, Cue.written_off),
    ),
    TimeRule(AlertKind.service_due, text(SERVICE_DUE), "service due"),
    TimeRule(AlertKind.replacement_due, text(REPLACEMENT_DUE), "past its type's age or trip limit"),
    TimeRule(
        AlertKind.unexpected_location,
        text(UNEXPECTED_LOCATION),
        "away from its storage zone too long",
    ),
)


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    kind: AlertKind
    # Rows the rule selected. not_seen selects from its snapshot, so fewer may change when a
    # sighting or another sweeper got there first; overdue_return and lost lock and re-check
    # while selecting, so rows changed meanwhile are already left out.
    candidates: int
    status_changed: int
    alerts_raised: int
    events: int


@dataclass(frozen=True, slots=True)
class SweepReport:
    now: datetime
    outcomes: tuple[RuleOutcome, ...]
    # Returns read since the last sweep, and the recovery cases their types' rules opened.
    recovery: IntakeOutcome
    # Alerts whose condition no longer holds, resolved by the sweep (unexpected_location).
    alerts_resolved: int = 0

    def of(self, kind: AlertKind) -> RuleOutcome:
        return next(outcome for outcome in self.outcomes if outcome.kind is kind)

    @property
    def alerts_raised(self) -> int:
        return sum(outcome.alerts_raised for outcome in self.outcomes)

    @property
    def status_changed(self) -> int:
        return sum(outcome.status_changed for outcome in self.outcomes)


def sweep_observation_id(kind: AlertKind, now: datetime) -> str:
    """Names the decision in asset_events.observation_id, as an observation id would."""
    return f"sweep:{kind.value}@{now.isoformat()}"


def _parameters(rule: TimeRule, now: datetime) -> dict[str, object]:
    from_status, to_status, cause = rule.transition or (None, None, None)
    return {
        **rule_parameters(rule.kind),
        "now": now,
        "reason": rule.reason,
        "observation_id": sweep_observation_id(rule.kind, now),
        "outbox_kinds": OUTBOX_KINDS,
        "from_status": from_status,
        "to_status": to_status,
        "cause": cause,
    }


_SHORTEST_THRESHOLD = text(SHORTEST_THRESHOLD)
# The sorts of a large sweep (tens of thousands of alerts at once) stay in memory, and the
# planner is told that the sweeper's per-candidate index lookups hit cached pages: at the
# default random_page_cost of 4 it hashes the whole million-row registry to join 20,000
# candidates instead (measured on bench/sweep.py: not_seen took about twice as long).
# JIT is off: the statements' per-row index probes give them estimated costs far above
# jit_above_cost, so PostgreSQL spent about 0.5 s compiling each, even for a rule with nothing
# to do (a million assets: unexpected_location with nothing to do took 0.59 s, now 0.01 s).
_SWEEP_PLANNER = (
    text("SET LOCAL work_mem = '64MB'"),
    text("SET LOCAL random_page_cost = 1.1"),
    text("SET LOCAL jit = off"),
)


async def sweep_rule(conn: AsyncConnection, rule: TimeRule, now: datetime) -> RuleOutcome:
    """One rule in one transaction: a one-row read of its shortest threshold, then its
    set-based statement."""
    parameters = _parameters(rule, now)
    async with conn.begin():
        shortest = await conn.scalar(_SHORTEST_THRESHOLD, parameters)
        if shortest is None:  # no layer gives this kind a threshold: it never fires
            return RuleOutcome(rule.kind, 0, 0, 0, 0)
        for setting in _SWEEP_PLANNER:
            await conn.execute(setting)
        cutoff = now - timedelta(seconds=int(shortest))
        # The statement inserts events: take their lock (held to commit) like every writer, so
        # event ids become visible in commit order for the live stream.
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENTS_LOCK})
        row = (await conn.execute(rule.statement, {**parameters, "reference_cutoff": cutoff})).one()
    return RuleOutcome(rule.kind, *(int(count) for count in row))


async def sweep(
    conn: AsyncConnection, now: datetime, *, intake_now: datetime | None = None
) -> SweepReport:
    """Every time-based rule as of `now`, then the recovery intake, which stamps the cases it
    opens with `intake_now` (default `now`); `conn` must not be inside a transaction.

    Each rule commits on its own so a sweep never holds one rule's row locks while taking the
    next rule's (that would break the asset_id lock order and could deadlock a consumer).
    The two clocks differ only when the rules run on a clock that lags the world's on
    purpose, as the demo's does.
    """
    require_aware("now", now)
    outcomes = [await sweep_rule(conn, rule, now) for rule in TIME_RULES]
    resolved = await resolve_settled(conn, now)
    recovery = await open_cases_on_return(conn, now if intake_now is None else intake_now)
    return SweepReport(now, tuple(outcomes), recovery, resolved)


_RESOLVE_UNEXPECTED_LOCATION = text(RESOLVE_UNEXPECTED_LOCATION)


async def resolve_settled(conn: AsyncConnection, now: datetime) -> int:
    """Resolve the open unexpected_location alerts of assets back where they belong (in a
    transaction of its own, holding the events lock like every writer); their count."""
    kind = AlertKind.unexpected_location
    async with conn.begin():
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENTS_LOCK})
        resolved = await conn.scalar(
            _RESOLVE_UNEXPECTED_LOCATION,
            {
                "kind": kind.value,
                "now": now,
                "reason": "back in its storage zone, off the site or out of service",
                "observation_id": sweep_observation_id(kind, now),
                "outbox_kinds": OUTBOX_KINDS,
            },
        )
    return int(resolved or 0)
