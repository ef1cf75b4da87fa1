"""A recovery bench operator: works the open recovery cases through the API as a person at the
bench does — checks, grade, repair orders, decision, close — with a key that has
`recovery:write` (and `assets:read`, to list the cases), as the handheld app does its scans.
What it does with each crate's case follows the plan (`simulators.recovery_plan`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from simulators.recovery_plan import (
    PARTS,
    RECYCLED_KG,
    RECYCLER,
    RECYCLING_PROCEEDS,
    REPAIRS,
    BenchCase,
    BenchPlan,
    Grade,
)

RETRY_STATUSES = {502, 503, 504}
# Stages whose next step the case as listed tells (no checks or repairs needed to choose it).
LISTED_IS_ENOUGH = frozenset({"intake", "decision"})


@dataclass(frozen=True)
class Step:
    kind: str
    path: str  # under /v1/recovery/cases/{id}
    body: dict[str, Any]
    idempotency_key: str | None = None  # the creates (checks, repair orders) take one


def _checks(case: Mapping[str, Any], results: list[tuple[str, bool, str | None]]) -> Step:
    body = [{"check": c, "passed": ok, "notes": notes} for c, ok, notes in results]
    key = f"bench:{case['id']}:checks:{len(case.get('checks', ()))}"
    return Step("checks", "/checks", {"checks": body}, key)


_FIRST_CHECKS: Mapping[Grade, list[tuple[str, bool, str | None]]] = {
    "ready_to_redeploy": [("functional", True, None), ("cosmetic", True, None)],
    "repairable": [("functional", False, "does not close"), ("cosmetic", True, None)],
    "components_only": [("functional", False, "base cracked"), ("cosmetic", False, None)],
    "disposal": [("functional", False, "walls split"), ("cosmetic", False, "UV-brittle")],
}


def _latest_functional(case: Mapping[str, Any]) -> bool | None:
    results = [c for c in case["checks"] if c["check"] == "functional"]
    return results[-1]["passed"] if results else None


def _decision(plan: BenchCase) -> dict[str, Any]:
    if plan.path == "parts":
        return {"path": "parts", "parts": [{"part": p, "value": str(v)} for p, v in PARTS]}
    if plan.path == "recycling":
        return {
            "path": "recycling",
            "weight_kg": str(RECYCLED_KG),
            "vendor": RECYCLER,
            "certificate": f"PL-{plan.asset_id}",
            "proceeds": str(RECYCLING_PROCEEDS),
        }
    return {"path": "redeploy"}


def next_step(
    case: Mapping[str, Any], plan: BenchCase, fresh_repairs: Collection[int] = ()
) -> Step | None:
    """What the operator does next on `case` (the API's case detail), None when nothing is
    left for now. A repair order opened in this round (`fresh_repairs`) waits for the next."""
    stage = case["stage"]
    if stage == "done" or plan.stop_at == "intake":
        return None
    if stage == "intake":
        return _checks(case, _FIRST_CHECKS[plan.grade])
    if stage == "grading":
        if plan.stop_at == "grading":
            return None
        if not any(r["closed_at"] for r in case["repairs"]):
            return Step("grade", "/grade", {"grade": plan.grade})
        if _latest_functional(case) is False:
            return _checks(case, [("functional", True, "after repair")])
        return Step("grade", "/grade", {"grade": "ready_to_redeploy"})
    if stage == "repair":
        what, estimate, final = REPAIRS[plan.repair]
        waiting = [r for r in case["repairs"] if r["closed_at"] is None]
        if not waiting:
            key = f"bench:{case['id']}:repair:{len(case['repairs'])}"
            return Step("repair", "/repairs", {"description": what, "cost": str(estimate)}, key)
        if plan.stop_at == "repair" or waiting[0]["id"] in fresh_repairs:
            return None
        body = {"outcome": "repaired", "cost": str(final)}
        return Step("repair_close", f"/repairs/{waiting[0]['id']}/close", body)
    if stage == "decision":
        if case["path"] is None:
            return Step("decision", "/decision", _decision(plan))
        return None if plan.stop_at == "decision" else Step("close", "/close", {})
    raise BenchError(f"case {case['id']} waits at {stage}: the bench has no step for that")


def settled(case: Mapping[str, Any], plan: BenchCase) -> bool:
    """Nothing to do on this listed case (no need to read it in full)."""
    if plan.stop_at is None or case["stage"] != plan.stop_at:
        return False
    return case["stage"] in ("intake", "grading") or (
        case["stage"] == "decision" and case["path"] is not None
    )


class BenchError(RuntimeError):
    """The API refused a step the plan expected to work, or did not answer."""


@dataclass
class BenchOperator:
    client: httpx.AsyncClient  # base_url and Authorization set by the caller
    plan: BenchPlan
    by: str = "bench@dc1"
    concurrency: int = 4
    max_attempts: int = 5
    steps: Counter[str] = field(default_factory=Counter)
    unplanned: set[str] = field(default_factory=set)  # open cases of assets not in the plan
    round_seconds: list[float] = field(default_factory=list)

    async def work_round(self, *, finishing: bool = False) -> int:
        """Work every open case as far as the plan says for now; returns the steps taken.
        `finishing`: the day is over — a repair opened now is also closed now."""
        began = time.monotonic()
        todo = []
        for case in await self._open_cases():
            plan = self.plan.cases.get(case["asset_id"])
            if plan is None:
                self.unplanned.add(case["asset_id"])
            elif not settled(case, plan):
                todo.append((case, plan))
        limit = asyncio.Semaphore(self.concurrency)

        async def work(case: dict[str, Any], plan: BenchCase) -> int:
            async with limit:
                return await self._work(case, plan, finishing)

        taken = sum(await asyncio.gather(*(work(case, plan) for case, plan in todo)))
        self.round_seconds.append(time.monotonic() - began)
        return taken

    async def _open_cases(self) -> list[dict[str, Any]]:
        cases: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"status": "open", "limit": "500", **({"cursor": cursor} if cursor else {})}
            page = await self._call("GET", "/v1/recovery/cases", params=params)
            cases += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return cases

    async def _work(self, case: dict[str, Any], plan: BenchCase, finishing: bool) -> int:
        """`case` as listed; read in full only when its checks or repairs decide the step."""
        case_id = case["id"]
        if case["stage"] not in LISTED_IS_ENOUGH:
            case = await self._call("GET", f"/v1/recovery/cases/{case_id}")
        fresh: set[int] = set()
        taken = 0
        while (step := next_step(case, plan, () if finishing else fresh)) is not None:
            if taken > 12:
                raise BenchError(f"case {case_id} goes round in circles at {case['stage']}")
            body = {**step.body, "by": self.by}
            headers = {"Idempotency-Key": step.idempotency_key} if step.idempotency_key else {}
            url = f"/v1/recovery/cases/{case_id}{step.path}"
            case = await self._call("POST", url, json=body, headers=headers)
            if step.kind == "repair":
                fresh.update(r["id"] for r in case["repairs"] if r["closed_at"] is None)
            self.steps[step.kind] += 1
            taken += 1
        return taken

    async def _call(self, method: str, url: str, **options: Any) -> Any:
        """Retries what was lost on the way (the creates keep their Idempotency-Key)."""
        delay = 0.1
        for attempt in range(self.max_attempts):
            try:
                response = await self.client.request(method, url, **options)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code not in RETRY_STATUSES:
                if response.is_success:
                    return response.json()
                if response.status_code == 409 and attempt > 0 and method == "POST":
                    # The lost answer's step had landed: read the case as it is now.
                    return await self._call("GET", _case_url(url))
                raise BenchError(f"{method} {url}: {response.status_code} {response.text[:300]}")
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 2.0)
        raise BenchError(f"{method} {url}: no answer after {self.max_attempts} attempts")


def _case_url(step_url: str) -> str:
    """/v1/recovery/cases/{id}/… → /v1/recovery/cases/{id}"""
    return "/".join(step_url.split("/")[:5])
