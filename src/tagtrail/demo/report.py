"""The demo's summary, and how tagtrail's result compares with the scenario's ground truth:
every asset's place, custodian and status, the alerts, and how each recovery case ended."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from simulators.scenario import Expected, Truth

_FINAL = """
SELECT a.id, COALESCE(s.status, 'in_service') AS status,
       CASE WHEN s.asset_id IS NULL THEN a.home_site_id ELSE s.site_id END AS site_id,
       COALESCE(s.custodian_id, 'site:' || a.home_site_id) AS custodian_id
FROM assets a LEFT JOIN asset_state s ON s.asset_id = a.id
"""


_CASES = "SELECT asset_id, path, stage, closed_at IS NOT NULL AS closed FROM recovery_cases"


def _share(hits: int, total: int) -> float:
    return round(hits / total, 4) if total else 1.0


def compare(
    final: dict[str, dict[str, Any]], truth: Truth, raised: dict[str, set[str]]
) -> dict[str, Any]:
    """Accuracy of every asset's final place, custodian and status; alert precision/recall."""
    expected = {asset_id: truth.assets.get(asset_id) for asset_id in final}
    checked = {a: e for a, e in expected.items() if isinstance(e, Expected)}
    location = sum(final[a]["site_id"] == e.site_id for a, e in checked.items())
    custody = sum(final[a]["custodian_id"] == e.custodian_id for a, e in checked.items())
    status = sum(final[a]["status"] == e.status for a, e in checked.items())
    alerts = {}
    for kind in sorted(set(truth.alerts) | set(raised)):
        want, got = truth.alerts.get(kind, set()), raised.get(kind, set())
        alerts[kind] = {
            "expected": len(want),
            "raised": len(got),
            "precision": _share(len(want & got), len(got)),
            "recall": _share(len(want & got), len(want)),
        }
    return {
        "assets_checked": len(checked),
        "location_accuracy": _share(location, len(checked)),
        "custody_accuracy": _share(custody, len(checked)),
        "status_accuracy": _share(status, len(checked)),
        "alerts": alerts,
    }


def _matched(planned: set[str], found: set[str]) -> dict[str, Any]:
    return {"planned": len(planned), "found": len(found), "same_assets": planned == found}


def compare_recovery(cases: list[dict[str, Any]], truth: Truth) -> dict[str, Any]:
    """The recovery cases in the database against the bench's plan: per path, the assets
    whose case closed by it; per stage, the assets whose case still waits there."""
    closed: dict[str, set[str]] = {}
    waiting: dict[str, set[str]] = {}
    for case in cases:
        if case["closed"]:
            closed.setdefault(case["path"], set()).add(case["asset_id"])
        else:
            waiting.setdefault(case["stage"], set()).add(case["asset_id"])
    planned_closed, planned_open = truth.recovery_closed, truth.recovery_open
    one_case_each = len({case["asset_id"] for case in cases}) == len(cases)
    return {
        "closed_by_path": {
            path: _matched(planned_closed.get(path, set()), closed.get(path, set()))
            for path in sorted(set(planned_closed) | set(closed))
        },
        "open_by_stage": {
            stage: _matched(planned_open.get(stage, set()), waiting.get(stage, set()))
            for stage in sorted(set(planned_open) | set(waiting))
        },
        "matches_plan": one_case_each and closed == planned_closed and waiting == planned_open,
    }


async def summarise(
    dsn: str,
    truth: Truth,
    reads: int,
    seconds: float,
    *,
    recovery: dict[str, Any],
    value_stream: dict[str, Any],
) -> dict[str, Any]:
    """`recovery` and `value_stream`: the figures as the API reports them (demo.figures)."""
    conn = await asyncpg.connect(dsn)
    try:
        final = {r["id"]: dict(r) for r in await conn.fetch(_FINAL)}
        cases = [dict(r) for r in await conn.fetch(_CASES)]
        raised: dict[str, set[str]] = {}
        for row in await conn.fetch("SELECT kind, asset_id FROM alerts"):
            raised.setdefault(row["kind"], set()).add(row["asset_id"])
        transitions = await conn.fetchval("SELECT count(*) FROM asset_events")
        risk = await conn.fetchval(
            "SELECT COALESCE(sum(value_at_risk), 0) FROM alerts WHERE status <> 'resolved' "
            "AND kind IN ('overdue_return', 'lost', 'not_seen')"
        )
        unknown = await conn.fetchval("SELECT count(*) FROM unknown_tags")
    finally:
        await conn.close()
    by_status: dict[str, int] = {}
    for asset in final.values():
        by_status[asset["status"]] = by_status.get(asset["status"], 0) + 1
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reads": reads,
        "reads_per_s": round(reads / seconds) if seconds else 0,
        "seconds": round(seconds, 1),
        "assets": len(final),
        "transitions": transitions,
        "alerts_by_kind": {kind: len(ids) for kind, ids in sorted(raised.items())},
        "assets_by_status": dict(sorted(by_status.items())),
        "value_at_risk": str(risk),
        "unknown_tags": unknown,
        **compare(final, truth, raised),
        "recovery": {**recovery, "against_plan": compare_recovery(cases, truth)},
        "value_stream": value_stream,
    }
