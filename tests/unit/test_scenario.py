"""The demo scenario's ground truth matches what the scenario plays, its recovery bench
included."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from simulators.scenario import MIX, Day, DemoScenario
from simulators.world import World

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


BACK_FROM_DISPATCH = MIX["on_time"] + MIX["late"] + MIX["check_in"] + MIX["other_site"]


def _day(**options: object) -> tuple[DemoScenario, Day]:
    home = World(site_id="dc1", door_count=8, asset_count=1500)
    other = World(site_id="dc2", door_count=2, asset_count=10, first_serial=900_000, customers=())
    scenario = replace(DemoScenario(home, other, START, timedelta(seconds=4)), **options)
    return scenario, scenario.play_out()


def test_truth_covers_every_crate_and_the_alerts_the_mix_implies() -> None:
    scenario, day = _day()
    assert set(day.truth.assets) == {a.id for a in scenario.home.assets}
    assert len(day.truth.alerts["unauthorized_exit"]) == MIX["exit_back"] + MIX["exit_gone"]
    assert len(day.truth.alerts["overdue_return"]) == MIX["late"] + MIX["never"]
    statuses = Counter(e.status for e in day.truth.assets.values())
    assert statuses["in_transit"] == MIX["never"] + MIX["exit_gone"]
    at_other_site = [e for e in day.truth.assets.values() if e.site_id == "dc2"]
    assert len(at_other_site) == MIX["other_site"]


def test_everything_happens_within_the_day_and_dispatches_cover_the_dispatched() -> None:
    scenario, day = _day()
    end = START + 24 * scenario.hour
    assert all(START <= r.seen_at < end for r in day.reads)
    assert all(START <= s.at < end for s in day.scans)
    dispatched = sum(len(d.asset_ids) for d in day.dispatches)
    assert dispatched == sum(MIX.values()) - MIX["exit_back"] - MIX["exit_gone"]
    # dozens to hundreds of reads per pass: far more reads than passes
    assert len(day.reads) > 40 * (2 * sum(MIX.values()))


def test_truth_is_written_as_json(tmp_path: Path) -> None:
    _, day = _day()
    path = tmp_path / "truth.json"
    day.truth.write(path)
    written = orjson.loads(path.read_bytes())
    assert len(written["assets"]) == 1500
    assert sorted(written["alerts"]) == ["overdue_return", "unauthorized_exit"]
    recovery = written["recovery"]
    assert sum(len(ids) for ids in recovery["closed_by_path"].values()) + sum(
        len(ids) for ids in recovery["open_by_stage"].values()
    ) == len(day.bench.cases)


def test_crates_back_from_a_dispatch_go_to_the_bench_and_the_truth_knows_how() -> None:
    scenario, day = _day()
    assert len(day.returned) == len(day.bench.cases) == BACK_FROM_DISPATCH
    dispatched = {asset_id for d in day.dispatches for asset_id in d.asset_ids}
    assert set(day.bench.cases) <= dispatched
    open_from = START + scenario.hour * scenario.bench_open_from_h
    statuses = Counter(day.truth.assets[a].status for a in day.bench.cases)
    waiting = {r.asset_id for r in day.returned if r.at >= open_from}
    assert 0 < len(waiting) < BACK_FROM_DISPATCH // 5  # a few, from the last hours
    assert statuses["in_recovery"] == len(waiting)
    closed = day.truth.recovery_closed
    assert statuses["retired"] == len(closed["parts"]) + len(closed["recycling"])
    assert statuses["in_service"] == len(closed["redeploy"])
    assert set().union(*day.truth.recovery_open.values()) == waiting
    # The bench changes statuses only: a crate back at the other site is still there.
    at_other_site = [e for e in day.truth.assets.values() if e.site_id == "dc2"]
    assert len(at_other_site) == MIX["other_site"]


def test_without_recovery_every_returned_crate_is_back_in_service() -> None:
    _, day = _day(recovery=False)
    assert day.bench.cases == {}
    assert {day.truth.assets[r.asset_id].status for r in day.returned} == {"in_service"}
    assert day.truth.recovery_closed == day.truth.recovery_open == {}
