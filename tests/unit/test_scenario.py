"""The demo scenario's ground truth matches what the scenario plays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from simulators.scenario import MIX, DemoScenario
from simulators.world import World

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _day() -> tuple[DemoScenario, object]:
    home = World(site_id="dc1", door_count=8, asset_count=1500)
    other = World(site_id="dc2", door_count=2, asset_count=10, first_serial=900_000, customers=())
    scenario = DemoScenario(home, other, START, timedelta(seconds=4))
    return scenario, scenario.play_out()


def test_truth_covers_every_crate_and_the_alerts_the_mix_implies() -> None:
    scenario, day = _day()
    assert set(day.truth.assets) == {a.id for a in scenario.home.assets}
    assert len(day.truth.alerts["unauthorized_exit"]) == MIX["exit_back"] + MIX["exit_gone"]
    assert len(day.truth.alerts["overdue_return"]) == MIX["late"] + MIX["never"]
    statuses = [e.status for e in day.truth.assets.values()]
    assert statuses.count("in_transit") == MIX["never"] + MIX["exit_gone"]
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
