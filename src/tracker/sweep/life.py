"""The service-and-life rules: service_due, replacement_due, unexpected_location.

Alert-only rules, each one statement in the shape of `statements.OVERDUE_RETURN`: candidates →
alert unless one is open (ON CONFLICT DO NOTHING on `uq_alerts_open_asset_kind`) → events
and outbox for exactly the alerts raised. Each raises once per reference time: an alert of the
kind raised since the rule fired for this reference, even one resolved by hand, keeps it quiet
until the reference moves (a new due date, a new stay away from storage).

These conditions stand until someone acts, so most assets they select already carry an open
alert; each statement drives from the smallest set that can qualify and leaves those with an
open alert out before working out rules, one probe of the open-alert unique index each.
"""

from __future__ import annotations

from tracker.service import AGE_LIMIT_SQL
from tracker.store.writes import outbox_rows
from tracker.sweep.layers import RULE_FIRES, rule_joins
from tracker.sweep.statements import (
    _ALERT_COLUMNS,
    _ALERT_VALUES,
    _ON_OPEN_ALERT,
    _RECORD_AND_REPORT,
    _alert_raised_payload,
)

_SITE = "COALESCE(s.site_id, a.home_site_id)"
_IN_USE = "a.retired_at IS NULL AND COALESCE(s.status, 'in_service') NOT IN ('retired', 'lost')"


# Re-checked on the locked state row: the consumer may have put the asset back meanwhile.
_RECHECK_AWAY = """
        AND s.status = 'in_service' AND s.zone_id = d.zone_id"""


def _configured(column: str) -> str:
    """A one-time filter: while no asset type sets `column`, the rule reads no asset at all."""
    return f"EXISTS (SELECT 1 FROM asset_types WHERE {column} IS NOT NULL)"


def _no_open_alert(asset_id: str) -> str:
    # A scalar subquery, not NOT EXISTS: it stays one probe of the open-alert unique index per
    # row. As an anti-join the planner, working from statistics taken before the last sweep
    # raised thousands of alerts, chose a nested loop over all of them (65 s instead of 0.2 s
    # for unexpected_location over a million assets, 50,000 of them already alerted).
    return f"""(SELECT o.id FROM alerts o WHERE o.asset_id = {asset_id}
            AND o.kind = :kind AND o.status <> 'resolved' LIMIT 1) IS NULL"""


def _not_raised_since_firing(reference: str) -> str:
    # Since the rule fired, not since the reference: a negative threshold (a lead time, "warn
    # a week ahead") fires before the reference time.
    return f"""NOT EXISTS (SELECT 1 FROM alerts al WHERE al.asset_id = a.id AND al.kind = :kind
            AND al.raised_at >= {reference} + rule.threshold_s * interval '1 second')"""


def _candidates(driving: str, reference: str, *, lock: bool = False) -> str:
    """The candidate rows of `driving` (asset `id`, `reference_at`, and for a locking rule the
    state row it re-checks): the rule in force, fired, and not yet raised for this reference."""
    state_join = (
        "JOIN asset_state s ON s.asset_id = d.id"
        if lock
        else "LEFT JOIN asset_state s ON s.asset_id = d.id"
    )
    return f"""candidates AS (
    SELECT a.id AS asset_id, {_SITE} AS site_id,
        COALESCE(s.custodian_id, home.id) AS custodian_id,
        COALESCE(a.value, t.replacement_value) AS value_at_risk,
        {reference} AS reference_at, rule.threshold_s, rule.severity
    FROM {driving} d
    JOIN assets a ON a.id = d.id
    JOIN asset_types t ON t.id = a.type_id
    {state_join}
    LEFT JOIN custodians home ON home.id = 'site:' || a.home_site_id
    {rule_joins(asset_type="a.type_id", site=_SITE)}
    WHERE {_IN_USE} AND {_no_open_alert("d.id")} AND {RULE_FIRES.format(reference=reference)}
        AND {_not_raised_since_firing(reference)}{_RECHECK_AWAY if lock else ""}
    ORDER BY a.id{" FOR UPDATE OF s" if lock else ""}
),"""


def _raise_and_report(replacement_value: str) -> str:
    return f"""
-- No status change for these rules; an empty `changed` keeps the report's shape.
changed AS (SELECT NULL::text AS asset_id WHERE false),
raised AS (
    INSERT INTO alerts ({_ALERT_COLUMNS})
    SELECT {_ALERT_VALUES} FROM candidates c ORDER BY c.asset_id
    {_ON_OPEN_ALERT}
    RETURNING asset_id, site_id, value_at_risk
),
emitted AS (
    SELECT r.asset_id, 1 AS step, 'alert_raised' AS kind, r.site_id,
        {_alert_raised_payload(replacement_value)} AS payload
    FROM raised r
),{_RECORD_AND_REPORT}"""


# service_due: the next due date plus the threshold has passed. The due date is the one
# tracker.service.NEXT_DUE_SQL defines, worked out as two sets so that neither takes a lookup
# per asset: never serviced (commissioning, else registration, + the type's interval) and
# serviced (the latest record's date, else its date + the interval; one ordered pass over
# service_records).
SERVICE_DUE = f"""
WITH latest AS MATERIALIZED (
    SELECT DISTINCT ON (sr.asset_id) sr.asset_id, sr.performed_at, sr.next_due_at
    FROM service_records sr ORDER BY sr.asset_id, sr.performed_at DESC, sr.id DESC
),
due AS MATERIALIZED (
    SELECT a.id, COALESCE(a.commissioned_at, a.created_at)
        + t.service_interval_days * interval '1 day' AS due_at
    FROM asset_types t JOIN assets a ON a.type_id = t.id
    WHERE {_configured("service_interval_days")}
        AND t.service_interval_days IS NOT NULL AND a.retired_at IS NULL
        AND COALESCE(a.commissioned_at, a.created_at)
            + t.service_interval_days * interval '1 day' <= :reference_cutoff
        AND NOT EXISTS (SELECT 1 FROM service_records x WHERE x.asset_id = a.id)
    UNION ALL
    SELECT l.asset_id, COALESCE(l.next_due_at,
        l.performed_at + t.service_interval_days * interval '1 day')
    FROM latest l JOIN assets a ON a.id = l.asset_id JOIN asset_types t ON t.id = a.type_id
    WHERE COALESCE(l.next_due_at, l.performed_at + t.service_interval_days * interval '1 day')
            <= :reference_cutoff
),
{_candidates("due", "d.due_at")}{_raise_and_report("NULL")}"""


# When the trip limit was reached: the turnaround that made the max_trips-th trip (each one
# counted a trip, tracker.store.writes). Trips counted before tagtrail have no such event; the
# limit then counts as reached at commissioning, so the alert is due at once and, being fixed,
# is not raised again after someone resolves it.
_TRIP_LIMIT_AT = """CASE WHEN s.trips >= t.max_trips THEN COALESCE(
        (SELECT e.occurred_at FROM asset_events e
            WHERE e.asset_id = a.id AND e.kind = 'turnaround_recorded'
            ORDER BY e.occurred_at, e.id OFFSET GREATEST(t.max_trips - 1, 0) LIMIT 1),
        a.commissioned_at, a.created_at) END"""

# replacement_due: the type's age limit or trip limit, whichever was reached first, plus the
# threshold has passed. Driven by the two sets that can qualify: assets past an age limit (one
# pass over the registry) and states past the smallest trip limit of any type.
REPLACEMENT_DUE = f"""
WITH worn AS MATERIALIZED (
    SELECT a.id FROM asset_types t JOIN assets a ON a.type_id = t.id
    WHERE {_configured("max_age_days")} AND t.max_age_days IS NOT NULL AND a.retired_at IS NULL
        AND {AGE_LIMIT_SQL} <= :reference_cutoff
    UNION
    SELECT s.asset_id FROM asset_state s
    WHERE {_configured("max_trips")} AND s.trips >= (SELECT min(max_trips) FROM asset_types)
),
limits AS (
    SELECT a.id, LEAST({AGE_LIMIT_SQL}, {_TRIP_LIMIT_AT}) AS limit_at
    FROM worn w
    JOIN assets a ON a.id = w.id
    JOIN asset_types t ON t.id = a.type_id
    LEFT JOIN asset_state s ON s.asset_id = a.id
),
{_candidates("limits", "d.limit_at")}{_raise_and_report("CAST(r.value_at_risk AS text)")}"""


# When the asset entered the zone it is in: its latest move or arrival into that zone (the
# consumer records both with the zone in asset_events.zone_id). A state written without such an
# event (an import, a hand edit) counts from its last update.
_ENTERED_ZONE_AT = """COALESCE((SELECT e.occurred_at FROM asset_events e
        WHERE e.asset_id = s.asset_id AND e.kind IN ('asset_moved', 'asset_arrived')
            AND e.zone_id = s.zone_id
        ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1), s.updated_at)"""

# unexpected_location: in service at one of our sites, in a zone of another kind than its
# type's storage zone, for longer than the threshold. Driven from the zones that are not every
# type's storage zone (docks, yards: few assets stand there), through the state index on
# (site_id, zone_id, status). Rows are locked in asset_id order and re-checked.
UNEXPECTED_LOCATION = f"""
WITH away AS MATERIALIZED (
    SELECT s.asset_id AS id, s.zone_id, {_ENTERED_ZONE_AT} AS entered_at
    FROM zones z
    JOIN asset_state s ON s.site_id = z.site_id AND s.zone_id = z.id AND s.status = 'in_service'
    JOIN assets a ON a.id = s.asset_id
    JOIN asset_types t ON t.id = a.type_id
    WHERE {_configured("storage_zone_kind")}
        AND z.kind <> 'external' AND z.kind <> t.storage_zone_kind
        AND EXISTS (SELECT 1 FROM asset_types k
            WHERE k.storage_zone_kind IS NOT NULL AND k.storage_zone_kind <> z.kind)
        AND {_no_open_alert("s.asset_id")}
),
{_candidates("away", "d.entered_at", lock=True)}{_raise_and_report("NULL")}"""


# unexpected_location resolves itself once the condition no longer holds: the asset is back in
# a zone of its type's storage kind (or an external one, or none), left the site, or is no
# longer in service. The consumer cannot see zone kinds, so this runs in the sweep, locking the
# alerts in asset_id order. Events in the shape of the tracker's AlertResolved.
RESOLVE_UNEXPECTED_LOCATION = (
    """
WITH settled AS (
    SELECT al.id, al.asset_id, al.site_id
    FROM alerts al
    JOIN assets a ON a.id = al.asset_id
    JOIN asset_types t ON t.id = a.type_id
    LEFT JOIN asset_state s ON s.asset_id = al.asset_id
    LEFT JOIN zones z ON z.site_id = s.site_id AND z.id = s.zone_id
    WHERE al.kind = :kind AND al.status <> 'resolved'
        AND NOT (COALESCE(s.status, 'in_service') = 'in_service'
            AND z.kind IS NOT NULL AND z.kind <> 'external'
            AND t.storage_zone_kind IS NOT NULL AND z.kind <> t.storage_zone_kind)
    ORDER BY al.asset_id
    FOR UPDATE OF al
),
resolved AS (
    UPDATE alerts al SET status = 'resolved', resolved_at = :now, resolved_by = 'tracker',
        note = :reason
    FROM settled WHERE al.id = settled.id
    RETURNING al.asset_id, al.site_id
),
emitted AS (
    SELECT r.asset_id, 1 AS step, 'alert_resolved' AS kind, r.site_id,
        jsonb_build_object('alert_kind', CAST(:kind AS text), 'reason', CAST(:reason AS text))
            AS payload
    FROM resolved r
),
recorded AS (
    INSERT INTO asset_events (asset_id, kind, occurred_at, observation_id, site_id, payload)
    SELECT e.asset_id, e.kind, :now, :observation_id, e.site_id, e.payload
    FROM emitted e ORDER BY e.asset_id
    RETURNING id, asset_id, kind, occurred_at, payload
),
outboxed AS (
    """
    + outbox_rows("recorded")
    + """
    RETURNING id
)
SELECT count(*) AS resolved FROM recorded"""
)
