"""The demo's recovery and value-stream figures as the API reports them — the figures the
dashboard shows. Durations are measured seconds of the compressed day, and the same in story
hours (a story hour lasts `story_hour_s` seconds)."""

from __future__ import annotations

from typing import Any

import httpx


async def _get(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(path)
    response.raise_for_status()
    return response.json()


def durations(p50_s: float | None, p90_s: float | None, story_hour_s: float) -> dict[str, Any]:
    def story(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds / story_hour_s, 2)

    return {
        "p50_s": None if p50_s is None else round(p50_s, 1),
        "p90_s": None if p90_s is None else round(p90_s, 1),
        "p50_story_h": story(p50_s),
        "p90_story_h": story(p90_s),
    }


async def recovery_figures(client: httpx.AsyncClient, story_hour_s: float) -> dict[str, Any]:
    """Cases opened, open per stage (GET /v1/recovery/stages) and closed per path, value
    recovered, redeployment rate and turnaround (GET /v1/reports/recovery)."""
    report = await _get(client, "/v1/reports/recovery")
    stages = await _get(client, "/v1/recovery/stages")
    overall = report["overall"]
    open_by_stage = {row["stage"]: row["open_cases"] for row in stages}
    by_path = report["by_path"]
    return {
        "cases_opened": overall["cases"] + sum(open_by_stage.values()),
        "cases_closed": overall["cases"],
        "open_by_stage": open_by_stage,
        "closed_by_path": {row["key"]: row["cases"] for row in by_path},
        "value_recovered": overall["value_recovered"],
        "value_by_path": {row["key"]: row["value_recovered"] for row in by_path},
        "repair_cost": overall["repair_cost"],
        "net_value": overall["net_value"],
        "redeployment_rate": overall["redeployment_rate"],
        "turnaround": {
            "intake_to_decision": durations(
                overall["intake_to_decision_p50_s"],
                overall["intake_to_decision_p90_s"],
                story_hour_s,
            ),
            "intake_to_done": durations(
                overall["intake_to_done_p50_s"], overall["intake_to_done_p90_s"], story_hour_s
            ),
        },
    }


async def value_stream_figures(client: httpx.AsyncClient, story_hour_s: float) -> dict[str, Any]:
    """Loops completed, loop lead time, dwell per stage (the stages some loop went through)
    and the bottleneck (GET /v1/reports/value-stream)."""
    overall = (await _get(client, "/v1/reports/value-stream"))["overall"]
    return {
        "loops": overall["loops"],
        "lead_time": durations(
            overall["lead_time_p50_s"], overall["lead_time_p90_s"], story_hour_s
        ),
        "dwell": {
            stage["stage"]: {
                "loops": stage["loops"],
                **durations(stage["p50_s"], stage["p90_s"], story_hour_s),
                "share": stage["share"],
            }
            for stage in overall["stages"]
            if stage["loops"]
        },
        "bottleneck": overall["bottleneck"],
    }
