"""The value-stream statement: status changes → segments → loops → percentiles, in one query.

The status changes are read in (asset, event time) order from the covering partial index of
migration 0019 — parallel index-only scans merged in order, so nothing sorts them. One window
pass over them gives each change its segment's end (the next change), the loop it belongs to
(the latest departure so far) and the latest time the asset was home again (which ends a
loop's reach: rows after a return belong to no loop until the next departure). A group
aggregate folds the segments of each loop into its stage times; the percentiles are
ordered-set aggregates over the loops.

Statuses are coded as small integers and event times turned into epoch seconds while the
events are scanned, in the parallel workers: the window, which PostgreSQL runs in the leader
alone, only reads them (measured at 10M events, bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from tracker.reports.scope import PERCENTILES, ReportScope

Grouping = Literal["type", "custodian"]
STAGE_COLUMNS = (
    "at_home",
    "outbound_transit",
    "at_custodian",
    "return_transit",
    "in_recovery",
    "unaccounted",
)

_STATUS_CODES = {
    "in_service": 1,
    "in_transit": 2,
    "at_custodian": 3,
    "missing": 4,
    "lost": 5,
    "in_recovery": 6,
    "retired": 7,
}
IN_SERVICE, IN_TRANSIT, AT_CUSTODIAN, IN_RECOVERY = 1, 2, 3, 6

# The statement's planner settings, SET LOCAL in its transaction before it runs. Measured at
# 10.8M events (bench/RESULTS.md, `tagtrail bench reports`):
VALUE_STREAM_SETTINGS = (
    # Two workers scan the index and the leader merges their ordered streams and runs the
    # window. At the default parallel costs the planner prices moving 3.6M rows between
    # processes above doing the scan in the leader too: 10.5 s of the leader's CPU against 8.5.
    "SET LOCAL parallel_setup_cost = 0",
    "SET LOCAL parallel_tuple_cost = 0",
    # The leader's hands are full with the window: it only merges.
    "SET LOCAL parallel_leader_participation = off",
    # The segments arrive grouped by asset: an incremental sort by loop and a group aggregate
    # fold them into loops faster than a hash table of 830k loops (270 MB).
    "SET LOCAL enable_hashagg = off",
    # The sorts of the loops for the grouping sets, in memory.
    "SET LOCAL work_mem = '256MB'",
)


def _code(field: str) -> str:
    whens = " ".join(f"WHEN '{name}' THEN {code}" for name, code in _STATUS_CODES.items())
    return f"CAST(CASE e.payload ->> '{field}' {whens} ELSE 0 END AS int2)"


# The stage of the segment a change opens, by the status it entered (and, for in_transit,
# whether it left through our door). In a loop, in_service only lasts from the return to a
# recovery intake: that wait counts as recovery. 0: no stage (retired).
_STAGE_CODE = f"""CAST(CASE c.t
            WHEN {IN_TRANSIT} THEN CASE WHEN c.exited THEN 1 ELSE 3 END
            WHEN {AT_CUSTODIAN} THEN 2
            WHEN {IN_RECOVERY} THEN 4 WHEN {IN_SERVICE} THEN 4
            WHEN 4 THEN 5 WHEN 5 THEN 5 ELSE 0 END AS int2)"""
_STAGE_NUMBERS = {
    "outbound_transit": 1,
    "at_custodian": 2,
    "return_transit": 3,
    "in_recovery": 4,
    "unaccounted": 5,
}

# A departure: out through our door (not a refurbisher trip from recovery), or seen at a
# custodian straight from service (the exit read was missed).
_STARTS = f"""((c.exited AND c.f <> {IN_RECOVERY})
            OR (c.f = {IN_SERVICE} AND c.t = {AT_CUSTODIAN}))"""
# Home again after a loop: a change out of service that is neither a departure nor a
# recovery intake. from_status is the previous change's to_status: no look-back needed.
_HOME_AGAIN = f"(c.f = {IN_SERVICE} AND c.t <> {IN_RECOVERY} AND NOT {_STARTS})"

_STATEMENT = """
WITH changes AS (
    SELECT e.asset_id COLLATE "C" AS asset_id, e.id, e.occurred_at AS at,
        date_part('epoch', e.occurred_at) AS at_s,
        {from_code} AS f, {to_code} AS t, e.payload ->> 'cause' = 'exited' AS exited,
        {handed_to} AS handed_to
    FROM asset_events e {custody_join}
    WHERE e.kind = 'asset_status_changed' {site_filter}
    -- The order of ix_asset_events_status_changes (asset bytewise, then event time): read
    -- straight from the index, no sort. The ORDER BY also keeps the planner from pulling this
    -- subquery up into the window query, so the codes are computed in the parallel workers.
    ORDER BY 1, e.occurred_at, e.id
),
segments AS (
    SELECT c.asset_id, c.at, {stage_code} AS stage,
        lead(c.at_s) OVER w - c.at_s AS dwell_s,
        -- back in service (no recovery intake next): the loop ends here
        c.t = {in_service} AND lead(c.t) OVER w IS DISTINCT FROM {in_recovery} AS closes,
        -- the frame ends at the previous change (event times ascend in it): its time, and
        -- the latest departure and home-again before this change
        CASE WHEN {starts} AND c.f = {in_service} THEN c.at_s - max(c.at_s) OVER w END AS home_s,
        CASE WHEN {starts} THEN c.at
            ELSE max(c.at) FILTER (WHERE {starts}) OVER w END AS loop_start,
        CASE WHEN {home_again} THEN c.at
            ELSE max(c.at) FILTER (WHERE {home_again}) OVER w END AS home_again_at,
        CASE WHEN {starts} THEN c.handed_to END AS handed_to
    FROM changes c
    WINDOW w AS (PARTITION BY c.asset_id ORDER BY c.at, c.id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
loops AS (
    SELECT s.asset_id, s.loop_start,
        min(s.at) FILTER (WHERE s.closes) AS back_at,
        max(s.home_s) AS at_home,
        max(s.handed_to) AS custodian,
        {stage_sums}
    FROM segments s
    WHERE s.loop_start IS NOT NULL
        AND (s.home_again_at IS NULL OR s.home_again_at < s.loop_start)
    GROUP BY s.asset_id, s.loop_start
),
measured AS (
    SELECT {group_columns},
        date_part('epoch', l.back_at) - date_part('epoch', l.loop_start) AS lead_s,
        {stage_seconds}
    FROM loops l {joins}
    WHERE l.back_at IS NOT NULL AND {completed}
)
SELECT {grouping_flags}, count(*) AS loops,
    percentile_cont({percentiles}) WITHIN GROUP (ORDER BY m.lead_s) AS lead,
    sum(m.lead_s) AS lead_total,
    {stage_figures}
FROM measured m
GROUP BY GROUPING SETS ({grouping_sets})
"""

# The key of each grouping, and the join that finds it.
_GROUPINGS: dict[Grouping, tuple[str, str]] = {
    "type": ("a.type_id", "JOIN assets a ON a.id = l.asset_id"),
    "custodian": ("l.custodian", ""),
}
# Who a departure handed the asset to: the custody transfer the same observation recorded
# (same asset, same event time). A merge join of the two covering indexes (both in the order
# of the window) in the parallel workers, rather than a join to the loops afterwards. Two
# transfers of one asset in the same microsecond would duplicate the change, which adds a
# segment of 0 s: no figure moves.
_CUSTODY_JOIN = """LEFT JOIN asset_events h ON h.kind = 'custody_transferred'
        AND h.asset_id COLLATE "C" = e.asset_id COLLATE "C" AND h.occurred_at = e.occurred_at"""


def value_stream_statement(scope: ReportScope, groupings: Sequence[Grouping] = ()) -> str:
    """The report's one statement (its parameters: `scope.params()`): the overall row, and a
    row per key of each grouping asked for (flag column `by_<grouping>`, key `<grouping>`)."""
    site_filter = (
        ""
        if scope.sites is None
        else "AND e.asset_id IN (SELECT s.id FROM assets s WHERE "
        + scope.home_sites("s.home_site_id")
        + ")"
    )
    sums = ",\n        ".join(
        f"sum(s.dwell_s) FILTER (WHERE s.stage = {number} AND NOT s.closes) AS {stage}"
        for stage, number in _STAGE_NUMBERS.items()
    )
    wanted = [g for g in _GROUPINGS if g in groupings]
    keys = [f"{_GROUPINGS[g][0]} AS {g}" for g in wanted] or ["NULL AS none"]
    figures = ",\n    ".join(
        f"count(m.{stage}) AS {stage}_loops, "
        f"percentile_cont({PERCENTILES}) WITHIN GROUP (ORDER BY m.{stage}) AS {stage}_p, "
        f"sum(m.{stage}) AS {stage}_total"
        for stage in STAGE_COLUMNS
    )
    return _STATEMENT.format(
        from_code=_code("from_status"),
        to_code=_code("to_status"),
        site_filter=site_filter,
        handed_to="h.payload ->> 'to_custodian_id'" if "custodian" in wanted else "NULL",
        custody_join=_CUSTODY_JOIN if "custodian" in wanted else "",
        stage_code=_STAGE_CODE,
        in_service=IN_SERVICE,
        in_recovery=IN_RECOVERY,
        starts=_STARTS,
        home_again=_HOME_AGAIN,
        stage_sums=sums,
        group_columns=", ".join(keys),
        stage_seconds=", ".join(f"l.{stage}" for stage in STAGE_COLUMNS),
        joins=" ".join(_GROUPINGS[g][1] for g in wanted),
        completed=scope.within("l.back_at"),
        grouping_flags=", ".join(
            [f"GROUPING(m.{g}) = 0 AS by_{g}, m.{g}" for g in wanted] or ["FALSE AS by_none"]
        ),
        percentiles=PERCENTILES,
        stage_figures=figures,
        grouping_sets=", ".join(["()", *(f"(m.{g})" for g in wanted)]),
    )
