"""One set-based statement per time-based rule.

Each statement is a chain of CTEs: select the candidates → change the state of those that
still match (compare-and-set) → raise the alert unless one is open (ON CONFLICT DO NOTHING on
`uq_alerts_open_asset_kind`) → record events for exactly the rows changed and the alerts
raised (RETURNING) → outbox. Every row lock is taken in asset_id order, the order the
consumer locks in too, so sweepers and consumers wait for each other but never deadlock.
Event kinds and payload keys are those of `AssetStatusChanged` and `AlertRaised`.
"""

from __future__ import annotations

from tracker.store.writes import outbox_rows
from tracker.sweep.layers import RULE_FIRES, rule_joins

_SITE = "COALESCE(s.site_id, a.home_site_id)"
_VALUE = "COALESCE(a.value, t.replacement_value)"

# What every raised alert carries; `c` is the candidate row.
_ALERT_COLUMNS = (
    "asset_id, kind, severity, raised_at, site_id, custodian_id, value_at_risk, details"
)
_ALERT_VALUES = """c.asset_id, :kind, c.severity, :now, c.site_id, c.custodian_id, c.value_at_risk,
    jsonb_build_object('reason', CAST(:reason AS text),
        'observation_id', CAST(:observation_id AS text),
        'reference_at', c.reference_at, 'threshold_s', c.threshold_s)"""
_ON_OPEN_ALERT = "ON CONFLICT (asset_id, kind) WHERE status <> 'resolved' DO NOTHING"


def _alert_raised_payload(replacement_value: str) -> str:
    return f"""jsonb_build_object('alert_kind', CAST(:kind AS text),
        'reason', CAST(:reason AS text), 'site_id', r.site_id,
        'replacement_value', {replacement_value})"""


_STATUS_CHANGED_PAYLOAD = """jsonb_build_object('from_status', CAST(:from_status AS text),
        'to_status', CAST(:to_status AS text), 'cause', CAST(:cause AS text))"""

# `emitted` (asset_id, step, kind, site_id, payload) → asset_events → outbox, in the shape the
# consumer writes (tracker.store.writes), so webhooks and the SSE stream see one format.
_RECORD_AND_REPORT = (
    """
recorded AS (
    INSERT INTO asset_events (asset_id, kind, occurred_at, observation_id, site_id, payload)
    SELECT e.asset_id, e.kind, :now, :observation_id, e.site_id, e.payload
    FROM emitted e ORDER BY e.asset_id, e.step
    RETURNING id, asset_id, kind, occurred_at, payload
),
outboxed AS (
    """
    + outbox_rows("recorded")
    + """
    RETURNING id
)
SELECT (SELECT count(*) FROM candidates) AS candidates,
    (SELECT count(*) FROM changed) AS status_changed,
    (SELECT count(*) FROM raised) AS alerts_raised,
    (SELECT count(*) FROM recorded) AS events"""
)


def _status_change_events(replacement_value: str) -> str:
    """Both events of a status-changing rule: the transition first, then its alert."""
    return f"""emitted AS (
    SELECT m.asset_id, 1 AS step, 'asset_status_changed' AS kind, NULL AS site_id,
        {_STATUS_CHANGED_PAYLOAD} AS payload
    FROM changed m
    UNION ALL
    SELECT r.asset_id, 2, 'alert_raised', r.site_id, {_alert_raised_payload(replacement_value)}
    FROM raised r
),"""


# overdue_return: out on a dispatch past its expected return (+ grace). No status change; the
# candidate rows are locked (FOR UPDATE re-checks the WHERE on the newest row version) so a
# return the consumer commits first wins. One alert per missed return date: an alert of this
# kind raised since the due date, even one resolved by hand, is not raised again.
OVERDUE_RETURN = f"""
WITH candidates AS (
    SELECT s.asset_id, {_SITE} AS site_id, s.custodian_id, {_VALUE} AS value_at_risk,
        s.return_due_at AS reference_at, rule.threshold_s, rule.severity
    FROM asset_state s
    JOIN assets a ON a.id = s.asset_id
    JOIN asset_types t ON t.id = a.type_id
    {rule_joins(asset_type="a.type_id", site=_SITE)}
    WHERE s.status IN ('in_transit', 'at_custodian') AND s.return_due_at <= :reference_cutoff
        AND {RULE_FIRES.format(reference="s.return_due_at")}
        AND NOT EXISTS (SELECT 1 FROM alerts al WHERE al.asset_id = s.asset_id
            AND al.kind = :kind AND al.raised_at >= s.return_due_at)
    ORDER BY s.asset_id
    FOR UPDATE OF s
),
-- No status change for this rule; an empty `changed` keeps the report's shape.
changed AS (SELECT NULL::text AS asset_id WHERE false),
raised AS (
    INSERT INTO alerts ({_ALERT_COLUMNS})
    SELECT {_ALERT_VALUES} FROM candidates c ORDER BY c.asset_id
    {_ON_OPEN_ALERT}
    RETURNING asset_id, site_id
),
emitted AS (
    SELECT r.asset_id, 1 AS step, 'alert_raised' AS kind, r.site_id,
        {_alert_raised_payload("NULL")} AS payload
    FROM raised r
),{_RECORD_AND_REPORT}"""


# not_seen: in service (expected on site) and silent past the threshold since the last
# sighting, or since registration when never seen (every asset has a state row from its
# registration on, migration 0012). The upsert's DO UPDATE is the compare-and-set: still in
# service and last_seen_at unchanged, so a sighting committed first wins. last_event_at is
# left alone: a read older than this decision but newer than the last one applied is still a
# reappearance, not a late observation.
NOT_SEEN = f"""
WITH silent AS (
    SELECT s.asset_id, s.last_seen_at, s.site_id, s.custodian_id, a.type_id, a.home_site_id,
        a.created_at, a.value
    FROM asset_state s JOIN assets a ON a.id = s.asset_id
    WHERE s.status = 'in_service' AND a.retired_at IS NULL
        AND (s.last_seen_at <= :reference_cutoff OR s.last_seen_at IS NULL)
),
candidates AS (
    SELECT q.asset_id, COALESCE(q.site_id, q.home_site_id) AS site_id,
        COALESCE(q.custodian_id, home.id) AS custodian_id,
        COALESCE(q.value, t.replacement_value) AS value_at_risk, q.last_seen_at,
        COALESCE(q.last_seen_at, q.created_at) AS reference_at, rule.threshold_s, rule.severity
    FROM silent q
    JOIN asset_types t ON t.id = q.type_id
    LEFT JOIN custodians home ON home.id = 'site:' || q.home_site_id
    {rule_joins(asset_type="q.type_id", site="COALESCE(q.site_id, q.home_site_id)")}
    WHERE {RULE_FIRES.format(reference="COALESCE(q.last_seen_at, q.created_at)")}
),
changed AS (
    INSERT INTO asset_state AS s (asset_id, status, site_id, custodian_id, last_seen_at,
        updated_at)
    SELECT c.asset_id, 'missing', c.site_id, c.custodian_id, c.last_seen_at, now()
    FROM candidates c ORDER BY c.asset_id
    ON CONFLICT (asset_id) DO UPDATE SET status = 'missing', updated_at = now()
    WHERE s.status = 'in_service' AND s.last_seen_at IS NOT DISTINCT FROM EXCLUDED.last_seen_at
    RETURNING s.asset_id
),
raised AS (
    INSERT INTO alerts ({_ALERT_COLUMNS})
    SELECT {_ALERT_VALUES} FROM candidates c JOIN changed m ON m.asset_id = c.asset_id
    ORDER BY c.asset_id
    {_ON_OPEN_ALERT}
    RETURNING asset_id, site_id
),
{_status_change_events("NULL")}{_RECORD_AND_REPORT}"""


# When the asset went missing: its latest recorded transition into `missing` (the consumer's
# audits and this sweeper both record one); updated_at only for a state with no such event.
# Worked out once per missing asset (MATERIALIZED), not once per place the value is used.
_MISSING_SINCE = """COALESCE((SELECT e.occurred_at FROM asset_events e
        WHERE e.asset_id = s.asset_id AND e.kind = 'asset_status_changed'
            AND e.payload ->> 'to_status' = 'missing'
        ORDER BY e.occurred_at DESC LIMIT 1), s.updated_at)"""

# lost: missing past the write-off threshold and not sighted since it went missing. Rows are
# locked in order and re-checked; the UPDATE repeats the compare-and-set for clarity.
LOST = f"""
WITH missing AS MATERIALIZED (
    SELECT s.asset_id, {_MISSING_SINCE} AS missing_at FROM asset_state s
    WHERE s.status = 'missing'
),
candidates AS (
    SELECT s.asset_id, {_SITE} AS site_id, s.custodian_id, {_VALUE} AS value_at_risk,
        s.last_seen_at, m.missing_at AS reference_at, rule.threshold_s, rule.severity
    FROM missing m
    JOIN asset_state s ON s.asset_id = m.asset_id
    JOIN assets a ON a.id = s.asset_id
    JOIN asset_types t ON t.id = a.type_id
    {rule_joins(asset_type="a.type_id", site=_SITE)}
    WHERE m.missing_at <= :reference_cutoff AND s.status = 'missing'
        AND (s.last_seen_at IS NULL OR s.last_seen_at <= m.missing_at)
        AND {RULE_FIRES.format(reference="m.missing_at")}
    ORDER BY s.asset_id
    FOR UPDATE OF s
),
changed AS (
    UPDATE asset_state s SET status = 'lost', updated_at = now()
    FROM candidates c
    WHERE s.asset_id = c.asset_id AND s.status = 'missing'
        AND s.last_seen_at IS NOT DISTINCT FROM c.last_seen_at
    RETURNING s.asset_id
),
raised AS (
    INSERT INTO alerts ({_ALERT_COLUMNS})
    SELECT {_ALERT_VALUES} FROM candidates c JOIN changed m ON m.asset_id = c.asset_id
    ORDER BY c.asset_id
    {_ON_OPEN_ALERT}
    RETURNING asset_id, site_id, value_at_risk
),
{_status_change_events("CAST(r.value_at_risk AS text)")}{_RECORD_AND_REPORT}"""
