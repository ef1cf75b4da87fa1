"""`tagtrail demo --exit --json` as a user runs it: it finishes and matches its ground truth
exactly with the noise on — every crate's place, custodian and status, every alert — and the
returned crates went through recovery as the bench operator planned, so the summary carries
the recovery and value-stream figures the API reports. Then the demo's whole history goes
through `tagtrail epcis export`: every event it recorded, of every kind, is an event the
official EPCIS 2.0 schema accepts."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from e2e_harness import free_port
from epcis_support import fast_schema_errors
from sqlalchemy.engine import make_url

from simulators.scenario import MIX
from tagtrail.demo.setup import DEMO_DATABASE_PREFIX
from tagtrail.settings import Settings

pytestmark = pytest.mark.slow


# The demo runs on the local stack, whatever TAGTRAIL_* points the other tests at.
DEMO_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in ("TAGTRAIL_DATABASE_URL", "TAGTRAIL_KAFKA_BOOTSTRAP")
}


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tagtrail", "demo", "--exit", "--json", "--port", str(free_port())],
        env=DEMO_ENV,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_demo_matches_its_ground_truth(summary: dict[str, Any]) -> None:
    assert summary["assets"] >= 10_000
    assert summary["reads"] > 100_000
    assert summary["location_accuracy"] == 1.0
    assert summary["custody_accuracy"] == 1.0
    assert summary["status_accuracy"] == 1.0
    for kind in ("unauthorized_exit", "overdue_return"):
        assert summary["alerts"][kind]["recall"] == 1.0, summary["alerts"]
        assert summary["alerts"][kind]["precision"] == 1.0, summary["alerts"]
    truth = json.loads(Path(summary["ground_truth_file"]).read_text())
    statuses = Counter(asset["status"] for asset in truth["assets"].values())
    assert summary["assets_by_status"] == dict(sorted(statuses.items()))
    assert {"in_recovery", "retired"} <= set(statuses)


def test_returned_crates_went_through_recovery_as_planned(summary: dict[str, Any]) -> None:
    recovery = summary["recovery"]
    assert recovery["against_plan"]["matches_plan"], recovery["against_plan"]
    planned = json.loads(Path(summary["ground_truth_file"]).read_text())["recovery"]
    closed = {path: len(ids) for path, ids in planned["closed_by_path"].items()}
    waiting = {stage: len(ids) for stage, ids in planned["open_by_stage"].items()}
    # What the API's reports say, against the plan the ground truth file holds.
    assert recovery["closed_by_path"] == closed
    assert {s: n for s, n in recovery["open_by_stage"].items() if n} == waiting
    assert set(waiting) == {"intake", "grading", "repair", "decision"}
    assert recovery["cases_opened"] == sum(closed.values()) + sum(waiting.values())
    assert recovery["redeployment_rate"] == pytest.approx(closed["redeploy"] / sum(closed.values()))
    assert float(recovery["value_recovered"]) > 0
    assert set(recovery["value_by_path"]) == {"redeploy", "parts", "recycling"}
    for span in recovery["turnaround"].values():
        assert 0 < span["p50_s"] <= span["p90_s"], recovery["turnaround"]


def test_the_value_stream_shows_the_loop_through_recovery(summary: dict[str, Any]) -> None:
    flow = summary["value_stream"]
    redeployed = summary["recovery"]["closed_by_path"]["redeploy"]
    # Completed loops: the crates redeployed after recovery, and those that came back from
    # an exit without a dispatch (no loan returned, so no recovery case).
    assert flow["loops"] == redeployed + MIX["exit_back"]
    assert 0 < flow["lead_time"]["p50_s"] <= flow["lead_time"]["p90_s"]
    assert set(flow["dwell"]) == {"outbound_transit", "in_recovery"}
    assert flow["dwell"]["in_recovery"]["loops"] == redeployed
    for dwell in flow["dwell"].values():
        assert 0 < dwell["p50_s"] <= dwell["p90_s"]
    assert flow["bottleneck"] in flow["dwell"]
    assert sum(d["share"] for d in flow["dwell"].values()) == pytest.approx(1.0)


async def _fetch(url: str, query: str) -> list[asyncpg.Record]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query))
    finally:
        await conn.close()


async def _demo_database() -> str:
    """The URL of the database the demo wrote: its own, on the stack (a demo drops those of
    the demos before it, so there is one)."""
    stack = Settings(database_url=None).db_url()
    rows = await _fetch(
        stack, f"SELECT datname FROM pg_database WHERE datname LIKE '{DEMO_DATABASE_PREFIX}%'"
    )
    assert len(rows) == 1, f"one demo database expected, found {[r[0] for r in rows]}"
    return make_url(stack).set(database=rows[0][0]).render_as_string(hide_password=False)


async def test_the_whole_demo_history_exports_to_events_the_official_schema_accepts(
    summary: dict[str, Any], tmp_path: Path
) -> None:
    url = await _demo_database()
    out = tmp_path / "demo.jsonld"
    started = time.monotonic()
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tagtrail", "epcis", "export", "-o", str(out)],
        env={**DEMO_ENV, "TAGTRAIL_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(await asyncio.to_thread(out.read_bytes))
    exported = time.monotonic()

    assert fast_schema_errors(document) == []  # every event, not a sample
    validated = time.monotonic()
    rows = await _fetch(url, "SELECT kind, count(*) AS n FROM asset_events GROUP BY kind")
    registrations = (await _fetch(url, "SELECT count(*) FROM assets"))[0][0]
    recorded = Counter({row["kind"]: row["n"] for row in rows})
    found = Counter(event["tagtrail:kind"] for event in document["epcisBody"]["eventList"])
    # Every kind the demo recorded, each row once, plus every asset's registration.
    assert found == recorded + Counter({"asset_registered": registrations})
    assert sum(found.values()) == sum(recorded.values()) + registrations
    assert registrations == summary["assets"]
    assert {"asset_left_site", "recovery_closed", "alert_raised"} <= set(recorded)
    # What this adds to CI (-s shows it): export ~3.5 s, validation ~0.1 s for the demo.
    print(
        f"exported {sum(found.values()):,} events in {exported - started:.1f} s, "
        f"validated in {validated - exported:.2f} s"
    )
