"""What becomes of each crate that comes back to the recovery bench, planned up front from
the scenario's seed so the ground truth knows where every crate ends: about 85 % are ready to
redeploy, 8 % repairable (repaired, checked and graded again, redeployed), 5 % good for parts
only, 2 % for recycling. Crates that come back late in the day are left open at a planned
stage, so there are cases waiting in several stages at the end. The operator that carries the
plan out through the API is `simulators.recovery_bench`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

Grade = Literal["ready_to_redeploy", "repairable", "components_only", "disposal"]
Stop = Literal["intake", "grading", "repair", "decision"]

SHARES: tuple[tuple[Grade, float], ...] = (
    ("ready_to_redeploy", 0.85),
    ("repairable", 0.08),
    ("components_only", 0.05),
    ("disposal", 0.02),
)
PATH_OF: Mapping[Grade, str] = {
    "ready_to_redeploy": "redeploy",
    "repairable": "redeploy",  # after the repair, graded ready to redeploy
    "components_only": "parts",
    "disposal": "recycling",
}
# Where the cases left open wait, in turn (a repairable one waits at the repair shop).
OPEN_STOPS: tuple[Stop, ...] = ("intake", "grading", "decision")
# (what is repaired, estimated cost, final cost)
REPAIRS = (
    ("replace latch", Decimal("4.80"), Decimal("5.20")),
    ("replace lid hinge", Decimal("3.90"), Decimal("3.90")),
    ("weld cracked corner", Decimal("6.50"), Decimal("7.10")),
)
PARTS = (("lid", Decimal("6.00")), ("latch pair", Decimal("1.40")))
RECYCLER = "PolyLoop Recycling"
RECYCLED_KG = Decimal("2.1")
RECYCLING_PROCEEDS = Decimal("0.35")  # what the recycler pays for a crate's regrind


@dataclass(frozen=True)
class Returned:
    """A crate that came back from a dispatch, when: its type opens a case for it."""

    asset_id: str
    at: datetime


@dataclass(frozen=True)
class BenchCase:
    asset_id: str
    grade: Grade
    stop_at: Stop | None = None  # None: worked until closed
    repair: int = 0  # which of REPAIRS, for a repairable crate

    @property
    def path(self) -> str:
        return PATH_OF[self.grade]

    @property
    def final_status(self) -> str:
        if self.stop_at is not None:
            return "in_recovery"
        return "in_service" if self.path == "redeploy" else "retired"


@dataclass(frozen=True)
class BenchPlan:
    cases: Mapping[str, BenchCase]

    def closed_by_path(self) -> dict[str, set[str]]:
        closed: dict[str, set[str]] = {}
        for case in self.cases.values():
            if case.stop_at is None:
                closed.setdefault(case.path, set()).add(case.asset_id)
        return closed

    def open_by_stage(self) -> dict[str, set[str]]:
        waiting: dict[str, set[str]] = {}
        for case in self.cases.values():
            if case.stop_at is not None:
                waiting.setdefault(case.stop_at, set()).add(case.asset_id)
        return waiting


def quotas(count: int) -> list[Grade]:
    """`count` grades in the SHARES proportions (largest remainders get the odd ones)."""
    exact = [(grade, share * count) for grade, share in SHARES]
    made = {grade: int(amount) for grade, amount in exact}
    by_remainder = sorted(exact, key=lambda item: item[1] - int(item[1]), reverse=True)
    for grade, _ in by_remainder[: count - sum(made.values())]:
        made[grade] += 1
    return [grade for grade, _ in SHARES for _ in range(made[grade])]


def plan_bench(returned: Iterable[Returned], seed: int, open_from: datetime) -> BenchPlan:
    """Outcomes drawn from `seed`; crates back at `open_from` or later are left open."""
    ordered = sorted(returned, key=lambda r: r.asset_id)
    if len({r.asset_id for r in ordered}) != len(ordered):
        raise ValueError("one return per crate: the plan follows one case per asset")
    rng = random.Random(f"{seed}:recovery-bench")
    grades = quotas(len(ordered))
    rng.shuffle(grades)
    grade_of = {r.asset_id: grade for r, grade in zip(ordered, grades, strict=True)}
    stops: dict[str, Stop] = {}
    late = sorted((r for r in ordered if r.at >= open_from), key=lambda r: (r.at, r.asset_id))
    for turn, came in enumerate(r for r in late if grade_of[r.asset_id] != "repairable"):
        stops[came.asset_id] = OPEN_STOPS[turn % len(OPEN_STOPS)]
    stops.update({r.asset_id: "repair" for r in late if grade_of[r.asset_id] == "repairable"})
    return BenchPlan(
        {
            r.asset_id: BenchCase(
                r.asset_id, grade_of[r.asset_id], stops.get(r.asset_id), rng.randrange(len(REPAIRS))
            )
            for r in ordered
        }
    )
