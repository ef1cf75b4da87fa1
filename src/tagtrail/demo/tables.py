"""The demo summary's recovery and value-stream sections as tables for a person to read."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def _spread(p: dict[str, Any]) -> str:
    if p["p50_s"] is None:
        return "—"
    return (
        f"p50 {p['p50_s']:g} s · p90 {p['p90_s']:g} s  "
        f"({p['p50_story_h']:g} / {p['p90_story_h']:g} story hours)"
    )


def _counts(counts: dict[str, int]) -> str:
    return " · ".join(f"{name} {count:,}" for name, count in counts.items()) or "—"


def _against(plan: dict[str, Any]) -> str:
    if plan["matches_plan"]:
        return "every case where the plan put it"
    differing = [
        f"{name} {found['found']} of {found['planned']}"
        for name, found in {**plan["closed_by_path"], **plan["open_by_stage"]}.items()
        if not found["same_assets"]
    ]
    return "DIFFERS: " + (", ".join(differing) or "an asset has more than one case")


def recovery_table(recovery: dict[str, Any]) -> Table:
    table = Table("figure", "value", title="recovery at the bench (GET /v1/reports/recovery)")
    rate = recovery["redeployment_rate"]
    plan = recovery["against_plan"]
    rows = {
        "cases opened": f"{recovery['cases_opened']:,}",
        "open by stage": _counts(recovery["open_by_stage"]),
        "closed by path": _counts(recovery["closed_by_path"]),
        "value recovered": (
            f"{recovery['value_recovered']} (repairs {recovery['repair_cost']}, "
            f"net {recovery['net_value']})"
        ),
        "value by path": " · ".join(f"{p} {v}" for p, v in recovery["value_by_path"].items()),
        "redeployment rate": "—" if rate is None else f"{rate:.1%}",
        "intake → decision": _spread(recovery["turnaround"]["intake_to_decision"]),
        "intake → done": _spread(recovery["turnaround"]["intake_to_done"]),
        "against the bench's plan": _against(plan),
    }
    for name, value in rows.items():
        table.add_row(name, value)
    return table


def value_stream_table(value_stream: dict[str, Any]) -> Table:
    table = Table(
        "stage", "loops", "dwell", "share", title="value stream of the crate loop (completed)"
    )
    loops = f"{value_stream['loops']:,}"
    table.add_row("loop lead time", loops, _spread(value_stream["lead_time"]))
    for stage, dwell in value_stream["dwell"].items():
        share = "" if dwell["share"] is None else f"{dwell['share']:.0%}"
        name = f"{stage} ← bottleneck" if stage == value_stream["bottleneck"] else stage
        table.add_row(name, f"{dwell['loops']:,}", _spread(dwell), share)
    return table
