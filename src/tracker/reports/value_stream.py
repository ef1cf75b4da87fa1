"""The value stream of the asset loop, from `asset_status_changed` events (docs/reports.md).

A status change opens a *segment* that lasts until the asset's next status change. A *loop*
starts at a departure — out through one of our doors (cause `exited`) from any status but
`in_recovery` (a trip from recovery to a refurbisher stays inside its loop), or seen at a
custodian straight from service — and ends when the asset is *back in service*: a change
into `in_service` whose next status change is not a recovery intake (an asset taken into
recovery on its return is back when redeployed). A loop that never gets back — retired, or
left again before its return was seen — is not completed and not reported.

Stages of a segment inside a loop, by the status it entered:
  outbound_transit  in_transit through our door (cause `exited`)
  at_custodian      at_custodian
  return_transit    in_transit any other way (`left_external`: out of a custodian's door)
  in_recovery       in_recovery, and the wait in service between the return and the intake
  unaccounted       missing or lost: time nobody can place, counted in the lead time
at_home is the time in service before the loop's departure (since the asset's previous
status change); it is reported with the loop but is not part of its lead time.

The statement is in `value_stream_sql`; this module shapes its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tracker.reports import examples
from tracker.reports.scope import ReportScope, pair
from tracker.reports.value_stream_sql import (
    VALUE_STREAM_SETTINGS,
    Grouping,
    value_stream_statement,
)

Stage = Literal[
    "at_home", "outbound_transit", "at_custodian", "return_transit", "in_recovery", "unaccounted"
]
STAGES: tuple[Stage, ...] = (
    "at_home",
    "outbound_transit",
    "at_custodian",
    "return_transit",
    "in_recovery",
    "unaccounted",
)
# The steps of the process a bottleneck can be: not idle stock at home, not lost time.
FLOW_STAGES: tuple[Stage, ...] = (
    "outbound_transit",
    "at_custodian",
    "return_transit",
    "in_recovery",
)


class StageDwell(BaseModel):
    stage: Stage
    loops: int = Field(description="completed loops that spent time in this stage")
    p50_s: float | None = Field(description="median time in the stage per loop, seconds")
    p90_s: float | None
    share: float | None = Field(
        description="the stage's part of all these loops' lead time (null for at_home, "
        "which is not part of it)"
    )


class ValueStreamGroup(BaseModel):
    key: str | None = Field(
        description="asset type or custodian; null for the overall figures, or for loops "
        "that left without a custodian (an unauthorised exit)"
    )
    loops: int = Field(description="loops completed in the range")
    lead_time_p50_s: float | None = Field(description="leaving home → back in service")
    lead_time_p90_s: float | None
    bottleneck: Stage | None = Field(
        description="the flow stage (outbound_transit, at_custodian, return_transit, "
        "in_recovery) with the largest median dwell among the loops that went through it"
    )
    stages: list[StageDwell]


class ValueStreamReport(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.VALUE_STREAM]})

    since: datetime | None
    until: datetime | None
    sites: list[str] | None = Field(description="home sites reported on; null: every site")
    overall: ValueStreamGroup
    by_type: list[ValueStreamGroup] | None = Field(
        description="per asset type, most loops first; null unless asked for (by=type)"
    )
    by_custodian: list[ValueStreamGroup] | None = Field(
        description="per custodian the loop's departure handed the asset to, most loops "
        "first; null unless asked for (by=custodian)"
    )


def _group(row: dict[str, Any], key: str | None) -> ValueStreamGroup:
    lead_total = row["lead_total"] or 0.0
    stages = []
    for stage in STAGES:
        p50, p90 = pair(row[f"{stage}_p"])
        share = None
        if stage != "at_home" and lead_total > 0:
            share = round((row[f"{stage}_total"] or 0.0) / lead_total, 6)
        stages.append(
            StageDwell(stage=stage, loops=row[f"{stage}_loops"], p50_s=p50, p90_s=p90, share=share)
        )
    lead_p50, lead_p90 = pair(row["lead"])
    return ValueStreamGroup(
        key=key,
        loops=row["loops"],
        lead_time_p50_s=lead_p50,
        lead_time_p90_s=lead_p90,
        bottleneck=bottleneck(stages),
        stages=stages,
    )


def bottleneck(stages: list[StageDwell]) -> Stage | None:
    """The flow stage with the largest median; ties go to the larger p90, then flow order."""
    measured = [s for s in stages if s.stage in FLOW_STAGES and s.p50_s is not None]
    if not measured:
        return None
    return max(
        measured, key=lambda s: (s.p50_s or 0.0, s.p90_s or 0.0, -FLOW_STAGES.index(s.stage))
    ).stage


async def value_stream_report(
    conn: AsyncConnection, scope: ReportScope, by: Sequence[Grouping] = ()
) -> ValueStreamReport:
    """Loops completed in the scope's range, overall and per asset type and/or custodian."""
    for setting in VALUE_STREAM_SETTINGS:
        await conn.execute(text(setting))
    result = await conn.execute(text(value_stream_statement(scope, by)), scope.params())
    rows = [dict(row._mapping) for row in result]
    # The () grouping set always yields its row, even over no loops at all.
    overall = next(r for r in rows if not any(r.get(f"by_{g}") for g in by))

    def groups(grouping: Grouping) -> list[ValueStreamGroup] | None:
        if grouping not in by:
            return None
        found = [_group(r, r[grouping]) for r in rows if r[f"by_{grouping}"]]
        return sorted(found, key=lambda g: (-g.loops, g.key is None, g.key or ""))

    return ValueStreamReport(
        since=scope.since,
        until=scope.until,
        sites=list(scope.sites) if scope.sites is not None else None,
        overall=_group(overall, None),
        by_type=groups("type"),
        by_custodian=groups("custodian"),
    )
