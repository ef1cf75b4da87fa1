"""Recovery: what the cases closed in a range brought back, how long they took, and how many
assets went back into service.

A case belongs to the range by when it was closed (its path carried out: redeployed, sold,
harvested, recycled); open cases are not reported, decided or not. Value recovered is the
case's `value_recovered` (the asset's value when redeployed, the price, the parts' values,
the recycling proceeds); net value subtracts its repair cost. Turnaround runs from intake
(opened_at) to the decision (decided_at) and to done (closed_at).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.reports import examples
from tracker.reports.scope import PERCENTILES, ReportScope, pair

_RECOVERY = """
WITH closed AS (
    SELECT c.return_category, c.path,
        CAST(date_trunc('week', c.closed_at AT TIME ZONE 'UTC') AS date) AS week,
        COALESCE(c.value_recovered, 0) AS value_recovered, c.repair_cost,
        CAST(EXTRACT(EPOCH FROM c.decided_at - c.opened_at) AS float8) AS decision_s,
        CAST(EXTRACT(EPOCH FROM c.closed_at - c.opened_at) AS float8) AS done_s
    FROM recovery_cases c
    JOIN assets a ON a.id = c.asset_id
    WHERE c.closed_at IS NOT NULL AND {within} AND {sites}
)
SELECT GROUPING(c.return_category) = 0 AS by_category, GROUPING(c.path) = 0 AS by_path,
    GROUPING(c.week) = 0 AS by_week, c.return_category, c.path, c.week,
    count(*) AS cases,
    count(*) FILTER (WHERE c.path = 'redeploy') AS redeployed,
    COALESCE(sum(c.value_recovered), 0.00) AS value_recovered,
    COALESCE(sum(c.repair_cost), 0.00) AS repair_cost,
    percentile_cont({percentiles}) WITHIN GROUP (ORDER BY c.decision_s) AS decision,
    percentile_cont({percentiles}) WITHIN GROUP (ORDER BY c.done_s) AS done
FROM closed c
GROUP BY GROUPING SETS ((), (c.return_category), (c.path), (c.week))
"""


class RecoveryFigures(BaseModel):
    cases: int = Field(description="cases closed")
    value_recovered: Decimal
    repair_cost: Decimal
    net_value: Decimal = Field(description="value recovered minus repair cost")
    redeployed: int = Field(description="cases closed by redeploying the asset")
    redeployment_rate: float | None = Field(description="redeployed / cases; null when none")
    intake_to_decision_p50_s: float | None
    intake_to_decision_p90_s: float | None
    intake_to_done_p50_s: float | None
    intake_to_done_p90_s: float | None


class RecoveryGroup(RecoveryFigures):
    key: str | None = Field(description="return category or path (null: no path recorded)")


class RecoveryWeek(RecoveryFigures):
    week: date = Field(description="Monday of the ISO week (UTC) the cases were closed in")


class RecoveryReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.RECOVERY]})

    since: datetime | None
    until: datetime | None
    sites: list[str] | None = Field(description="home sites reported on; null: every site")
    overall: RecoveryFigures
    by_category: list[RecoveryGroup] = Field(description="largest net value first")
    by_path: list[RecoveryGroup] = Field(description="largest net value first")
    weekly: list[RecoveryWeek] = Field(description="oldest week first; weeks without cases omitted")


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    decision_p50, decision_p90 = pair(row["decision"])
    done_p50, done_p90 = pair(row["done"])
    cases: int = row["cases"]
    return {
        "cases": cases,
        "value_recovered": row["value_recovered"],
        "repair_cost": row["repair_cost"],
        "net_value": row["value_recovered"] - row["repair_cost"],
        "redeployed": row["redeployed"],
        "redeployment_rate": row["redeployed"] / cases if cases else None,
        "intake_to_decision_p50_s": decision_p50,
        "intake_to_decision_p90_s": decision_p90,
        "intake_to_done_p50_s": done_p50,
        "intake_to_done_p90_s": done_p90,
    }


def _largest_first(group: RecoveryGroup) -> tuple[Decimal, str]:
    return (-group.net_value, group.key or "")


async def recovery_report(conn: AsyncConnection, scope: ReportScope) -> RecoveryReport:
    statement = _RECOVERY.format(
        within=scope.within("c.closed_at"),
        sites=scope.home_sites("a.home_site_id"),
        percentiles=PERCENTILES,
    )
    rows = [dict(row._mapping) for row in await conn.execute(text(statement), scope.params())]
    # The () grouping set always yields its row, even over no cases at all.
    overall = next(r for r in rows if not (r["by_category"] or r["by_path"] or r["by_week"]))
    by_category = [
        RecoveryGroup(key=r["return_category"], **_figures(r)) for r in rows if r["by_category"]
    ]
    by_path = [RecoveryGroup(key=r["path"], **_figures(r)) for r in rows if r["by_path"]]
    weekly = [RecoveryWeek(week=r["week"], **_figures(r)) for r in rows if r["by_week"]]
    return RecoveryReport(
        since=scope.since,
        until=scope.until,
        sites=list(scope.sites) if scope.sites is not None else None,
        overall=RecoveryFigures(**_figures(overall)),
        by_category=sorted(by_category, key=_largest_first),
        by_path=sorted(by_path, key=_largest_first),
        weekly=sorted(weekly, key=lambda w: w.week),
    )
