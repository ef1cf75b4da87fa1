"""Loss: the overdue returns, missing and lost assets the tracker raised alerts for, priced.

One alert is one loss event (an asset overdue on two dispatches counts twice). An alert
belongs to the range by when it was raised, to the custodian that held the asset then, and to
the asset's home site (the site that bears the loss, as in the value-at-risk view). Value:
the alert's value at risk, else the asset's own value, else its type's replacement value.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.reports import examples
from tracker.reports.scope import ReportScope

# Report name → alert kind.
KINDS = {"overdue": "overdue_return", "missing": "not_seen", "lost": "lost"}

_LOSS = """
WITH losses AS (
    SELECT al.kind, al.custodian_id, a.home_site_id AS site_id,
        CAST(date_trunc('week', al.raised_at AT TIME ZONE 'UTC') AS date) AS week,
        COALESCE(al.value_at_risk, a.value, t.replacement_value) AS value
    FROM alerts al
    JOIN assets a ON a.id = al.asset_id
    JOIN asset_types t ON t.id = a.type_id
    WHERE al.kind IN ('overdue_return', 'not_seen', 'lost')
        AND {within} AND {sites}
)
SELECT GROUPING(l.custodian_id) = 0 AS by_custodian, GROUPING(l.site_id) = 0 AS by_site,
    GROUPING(l.week) = 0 AS by_week, l.custodian_id, l.site_id, l.week,
    {figures}
FROM losses l
GROUP BY GROUPING SETS ((), (l.custodian_id), (l.site_id), (l.week))
"""


def _statement(scope: ReportScope) -> str:
    figures = ",\n    ".join(
        f"count(*) FILTER (WHERE l.kind = '{kind}') AS {name}_count, "
        f"COALESCE(sum(l.value) FILTER (WHERE l.kind = '{kind}'), 0.00) AS {name}_value"
        for name, kind in KINDS.items()
    )
    return _LOSS.format(
        within=scope.within("al.raised_at"),
        sites=scope.home_sites("a.home_site_id"),
        figures=figures,
    )


class LossFigures(BaseModel):
    overdue_count: int = Field(description="overdue_return alerts raised")
    overdue_value: Decimal
    missing_count: int = Field(description="not_seen alerts raised (marked missing)")
    missing_value: Decimal
    lost_count: int = Field(description="lost alerts raised (written off)")
    lost_value: Decimal


class LossGroup(LossFigures):
    key: str | None = Field(description="custodian or home site; null: no custodian recorded")


class LossWeek(LossFigures):
    week: date = Field(description="Monday of the ISO week (UTC) the alerts were raised in")


class LossReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.LOSS]})

    since: datetime | None
    until: datetime | None
    sites: list[str] | None = Field(description="home sites reported on; null: every site")
    overall: LossFigures
    by_custodian: list[LossGroup] = Field(description="largest lost value first")
    by_site: list[LossGroup] = Field(description="largest lost value first")
    weekly: list[LossWeek] = Field(description="oldest week first; weeks without alerts omitted")


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{name}_{part}": row[f"{name}_{part}"] for name in KINDS for part in ("count", "value")
    }


def _largest_first(group: LossGroup) -> tuple[Decimal, Decimal, Decimal, str]:
    return (-group.lost_value, -group.overdue_value, -group.missing_value, group.key or "")


async def loss_report(conn: AsyncConnection, scope: ReportScope) -> LossReport:
    result = await conn.execute(text(_statement(scope)), scope.params())
    rows = [dict(row._mapping) for row in result]
    # The () grouping set always yields its row, even over no alerts at all.
    overall = next(r for r in rows if not (r["by_custodian"] or r["by_site"] or r["by_week"]))
    by_custodian = [
        LossGroup(key=r["custodian_id"], **_figures(r)) for r in rows if r["by_custodian"]
    ]
    by_site = [LossGroup(key=r["site_id"], **_figures(r)) for r in rows if r["by_site"]]
    weekly = [LossWeek(week=r["week"], **_figures(r)) for r in rows if r["by_week"]]
    return LossReport(
        since=scope.since,
        until=scope.until,
        sites=list(scope.sites) if scope.sites is not None else None,
        overall=LossFigures(**_figures(overall)),
        by_custodian=sorted(by_custodian, key=_largest_first),
        by_site=sorted(by_site, key=_largest_first),
        weekly=sorted(weekly, key=lambda w: w.week),
    )
