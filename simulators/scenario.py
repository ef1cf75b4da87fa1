"""A day of the returnable-crate loop, with its ground truth.

A home site (dc1, ≥ 8 dock doors) and a second site (dc2) lend crates to customers on
dispatches. Over the day: returns on time, late returns, crates that never come back, exits
without a dispatch (some come back), returns that turn up at the other site, and check-ins by
handheld instead of a door read — all with portal noise (dozens to hundreds of reads per pass,
RSSI jitter, cross-reads at the neighbouring door, strays). Every crate back from a dispatch
goes through recovery at the bench, as `bench` plans it (simulators.recovery_bench). `truth`
says where every crate must end up, in which status, which alerts must fire and how its
recovery case ends; the demo compares tagtrail's result with it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import orjson

from ingest.tagread import TagRead
from simulators.dock_stream import Pass, pass_reads, stray_reads
from simulators.recovery_plan import BenchPlan, Returned, plan_bench
from simulators.world import Asset, Door, World

Category = Literal["on_time", "late", "never", "check_in", "other_site", "exit_back", "exit_gone"]
# How many crates of each kind move during the day (the rest stay home, untouched).
MIX: dict[Category, int] = {
    "on_time": 480,
    "late": 140,
    "never": 80,
    "check_in": 80,
    "other_site": 40,
    "exit_back": 30,
    "exit_gone": 30,
}


@dataclass(frozen=True)
class Dispatch:
    id: str
    custodian_id: str
    expected_return_at: datetime
    asset_ids: tuple[str, ...]


@dataclass(frozen=True)
class Scan:
    asset: Asset
    action: str
    at: datetime


@dataclass(frozen=True)
class Expected:
    site_id: str | None
    custodian_id: str
    status: str


@dataclass
class Truth:
    assets: dict[str, Expected] = field(default_factory=dict)
    alerts: dict[str, set[str]] = field(default_factory=dict)  # kind → asset ids
    # Recovery cases: path → assets whose case is closed by it; stage → assets still there.
    recovery_closed: dict[str, set[str]] = field(default_factory=dict)
    recovery_open: dict[str, set[str]] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        """The ground truth as JSON: every asset's final place, custodian and status, the
        assets each alert kind must fire for, and how their recovery cases end."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(
            orjson.dumps(
                {
                    "assets": {
                        asset_id: {
                            "site_id": e.site_id,
                            "custodian_id": e.custodian_id,
                            "status": e.status,
                        }
                        for asset_id, e in self.assets.items()
                    },
                    "alerts": {kind: sorted(ids) for kind, ids in self.alerts.items()},
                    "recovery": {
                        "closed_by_path": {p: sorted(i) for p, i in self.recovery_closed.items()},
                        "open_by_stage": {s: sorted(i) for s, i in self.recovery_open.items()},
                    },
                },
                option=orjson.OPT_INDENT_2,
            )
        )


@dataclass
class Day:
    reads: list[TagRead]
    scans: list[Scan]
    dispatches: list[Dispatch]
    truth: Truth
    returned: list[Returned] = field(default_factory=list)  # back from a dispatch
    bench: BenchPlan = field(default_factory=lambda: BenchPlan({}))


@dataclass
class DemoScenario:
    """`hour` is how long a story hour lasts in event time: the day's idle gaps shrink, while
    a pallet still takes its real two seconds through a door (so portals read it as they
    would, and readers' reports stay in step)."""

    home: World
    other: World
    start: datetime
    hour: timedelta = timedelta(hours=1)
    seed: int = 11
    # Who crates are dispatched to: customers, and a carrier that keeps some on its trucks.
    customers: tuple[str, ...] = ("acme", "globex", "rapid-freight")
    audits: int = 60  # handheld audit scans of crates standing at home
    # Crates back from a dispatch go through recovery (their type opens a case on return);
    # those back from this story hour on are left open at the bench when the day ends.
    recovery: bool = True
    bench_open_from_h: float = 19.0

    def play_out(self) -> Day:
        rng = random.Random(self.seed)
        movers = rng.sample(self.home.assets, sum(MIX.values()))
        day = Day([], [], [], Truth())
        for asset in self.home.assets:
            day.truth.assets[asset.id] = Expected(
                self.home.site_id, f"site:{self.home.site_id}", "in_service"
            )
        position = 0
        for category, count in MIX.items():
            for asset in movers[position : position + count]:
                self._move(category, asset, rng, day)
            position += count
        self._dispatch_groups(day, rng)
        moving = {a.id for a in movers}
        staying = [a for a in self.home.assets if a.id not in moving]
        for asset in rng.sample(staying, min(self.audits, len(staying))):
            day.scans.append(Scan(asset, "audit", self._at(rng, 12.0, 20.0)))
        day.reads.sort(key=lambda r: (r.seen_at, r.read_id))
        day.scans.sort(key=lambda s: s.at)
        if self.recovery:
            self._plan_bench(day)
        return day

    def _plan_bench(self, day: Day) -> None:
        """Each returned crate's case as the bench will work it, and where that leaves it."""
        open_from = self.start + self.hour * self.bench_open_from_h
        day.bench = plan_bench(day.returned, self.seed, open_from)
        for case in day.bench.cases.values():
            expected = day.truth.assets[case.asset_id]
            day.truth.assets[case.asset_id] = replace(expected, status=case.final_status)
        day.truth.recovery_closed = day.bench.closed_by_path()
        day.truth.recovery_open = day.bench.open_by_stage()

    def _at(self, rng: random.Random, low_h: float, high_h: float) -> datetime:
        return self.start + self.hour * rng.uniform(low_h, high_h)

    def _move(self, category: Category, asset: Asset, rng: random.Random, day: Day) -> None:
        home = self.home.site_id
        out_at = self._at(rng, 0.5, 6.5)  # so that even the latest return is within the day
        due = out_at + self.hour * 10
        customer = rng.choice(self.customers)
        self._pass(asset, rng.choice(self.home.doors), "outbound", out_at, rng, day)
        truth, alerts = day.truth, day.truth.alerts
        dispatched = category not in ("exit_back", "exit_gone")
        if dispatched:
            asset_due = (customer, due)
            day.dispatches.append(Dispatch(f"pending:{customer}", customer, due, (asset.id,)))
        if category in ("on_time", "exit_back"):
            back = due - self.hour * rng.uniform(0.5, 3.5)
            self._pass(asset, rng.choice(self.home.doors), "inbound", back, rng, day)
        elif category == "late":
            # Late by more than the hourly sweep needs to see it, even after grouping moved
            # the dispatch's due time by up to an hour.
            back = due + self.hour * rng.uniform(3.5, 5.5)
            self._pass(asset, rng.choice(self.home.doors), "inbound", back, rng, day)
            alerts.setdefault("overdue_return", set()).add(asset.id)
        elif category == "check_in":
            back = due - self.hour
            day.scans.append(Scan(asset, "check_in", back))
        elif category == "other_site":
            back = due - self.hour * rng.uniform(0.5, 3.5)
            self._pass(asset, rng.choice(self.other.doors), "inbound", back, rng, day)
            truth.assets[asset.id] = Expected(self.other.site_id, f"site:{home}", "in_service")
        if category in ("on_time", "late", "check_in", "other_site"):
            # Back from its dispatch: the return closes the dispatch line (a return without a
            # dispatch, exit_back, is no return of a loan and opens no case).
            day.returned.append(Returned(asset.id, back))
        if category == "never":
            truth.assets[asset.id] = Expected(None, asset_due[0], "in_transit")
            alerts.setdefault("overdue_return", set()).add(asset.id)
        if not dispatched:
            alerts.setdefault("unauthorized_exit", set()).add(asset.id)
            if category == "exit_gone":
                truth.assets[asset.id] = Expected(None, f"site:{home}", "in_transit")

    def _pass(
        self, asset: Asset, door: Door, direction: str, at: datetime, rng: random.Random, day: Day
    ) -> None:
        world = self.home if door in self.home.doors else self.other
        neighbours = [d for d in world.doors if abs(d.number - door.number) == 1]
        day.reads += pass_reads(
            Pass(asset, door, direction, at), rng, rng.choice(neighbours) if neighbours else None
        )
        if rng.random() < 0.05:  # a crate standing near some door meanwhile
            day.reads += stray_reads(rng.choice(self.home.assets), rng.choice(world.doors), at, rng)

    def _dispatch_groups(self, day: Day, rng: random.Random) -> None:
        """Crates leaving for one customer within the same hour share one dispatch."""
        groups: dict[tuple[str, int], list[Dispatch]] = {}
        for single in day.dispatches:
            hour = int((single.expected_return_at - self.start) / self.hour)
            groups.setdefault((single.custodian_id, hour), []).append(single)
        day.dispatches = [
            Dispatch(
                f"D-{customer}-{hour:02d}",
                customer,
                max(d.expected_return_at for d in members),
                tuple(a for d in members for a in d.asset_ids),
            )
            for (customer, hour), members in sorted(groups.items())
        ]
