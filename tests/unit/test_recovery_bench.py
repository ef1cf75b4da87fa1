"""The demo's recovery bench operator: its plan (deterministic, in the shares it promises,
the late returns left open where it says) and its rounds, against a fake recovery API whose
stages and refusals are the tracker's own pure rules."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest

from simulators.recovery_bench import BenchError, BenchOperator, next_step
from simulators.recovery_plan import BenchCase, BenchPlan, Returned, plan_bench, quotas
from tracker.recovery import (
    CaseFacts,
    CheckKind,
    Grade,
    RecoveryPath,
    RecoveryRefused,
    TypeRecovery,
    rules,
    stage_of,
)

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
CRATE = TypeRecovery(required_checks=frozenset({CheckKind.functional, CheckKind.cosmetic}))


def returns(count: int, every: timedelta = timedelta(minutes=7)) -> list[Returned]:
    return [Returned(f"dc1-crate-{1000 + i}", START + every * i) for i in range(count)]


def test_quotas_keep_the_shares_and_add_up() -> None:
    assert Counter(quotas(740)) == {
        "ready_to_redeploy": 629,
        "repairable": 59,
        "components_only": 37,
        "disposal": 15,
    }
    assert Counter(quotas(100)) == {
        "ready_to_redeploy": 85,
        "repairable": 8,
        "components_only": 5,
        "disposal": 2,
    }
    for count in (0, 1, 7, 33, 999):
        assert len(quotas(count)) == count


def test_the_plan_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    came_back = returns(400)
    late = START + timedelta(hours=40)
    first, again = plan_bench(came_back, 11, late), plan_bench(reversed(came_back), 11, late)
    assert first == again
    other = plan_bench(came_back, 12, late)
    assert {a: c.grade for a, c in other.cases.items()} != {
        a: c.grade for a, c in first.cases.items()
    }
    shares = Counter(case.grade for case in first.cases.values())
    assert shares == {
        "ready_to_redeploy": 340,
        "repairable": 32,
        "components_only": 20,
        "disposal": 8,
    }


def test_crates_back_late_are_left_open_where_the_plan_says_and_the_rest_close() -> None:
    came_back = returns(300)
    open_from = came_back[250].at
    plan = plan_bench(came_back, 11, open_from)
    waiting = plan.open_by_stage()
    left_open = {r.asset_id for r in came_back[250:]}
    assert set().union(*waiting.values()) == left_open
    assert set(waiting) == {"intake", "grading", "repair", "decision"}
    for asset_id in waiting["repair"]:
        assert plan.cases[asset_id].grade == "repairable"
    # The other stops take turns, so each holds about a third of the rest.
    others = [len(waiting[s]) for s in ("intake", "grading", "decision")]
    assert max(others) - min(others) <= 1
    closed = plan.closed_by_path()
    assert set().union(*closed.values()) == {r.asset_id for r in came_back[:250]}
    for case in plan.cases.values():
        expected = {"redeploy": "in_service", "parts": "retired", "recycling": "retired"}
        status = "in_recovery" if case.asset_id in left_open else expected[case.path]
        assert case.final_status == status


def test_one_case_per_crate() -> None:
    with pytest.raises(ValueError, match="one return per crate"):
        plan_bench([*returns(2), returns(1)[0]], 11, START)


@dataclass
class FakeCase:
    """A case as the recovery API keeps it, moved on by the tracker's pure rules."""

    id: str
    facts: CaseFacts
    checks: list[dict[str, Any]] = field(default_factory=list)
    repairs: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] | None = None

    def listed(self) -> dict[str, Any]:
        path = self.facts.path
        return {
            "id": self.id,
            "asset_id": self.facts.asset_id,
            "stage": stage_of(self.facts).value,
            "path": path.value if path else None,
        }

    def detail(self) -> dict[str, Any]:
        return {**self.listed(), "checks": self.checks, "repairs": self.repairs}


class FakeRecoveryApi:
    """GET and POST /v1/recovery/cases… as httpx transport; 409 for what the rules refuse."""

    def __init__(self, asset_ids: list[str]) -> None:
        self.cases = {
            f"rc_{i}": FakeCase(f"rc_{i}", CaseFacts(case_id=f"rc_{i}", asset_id=a, rules=CRATE))
            for i, a in enumerate(asset_ids)
        }
        self.answers: dict[str, httpx.Response] = {}
        self.posts: list[tuple[str, str]] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/recovery/cases":
            items = [c.listed() for c in self.cases.values() if not c.facts.closed]
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        found = re.fullmatch(r"/v1/recovery/cases/(rc_\d+)(/.*)?", request.url.path)
        assert found is not None, request.url
        case = self.cases[found[1]]
        if request.method == "GET":
            return httpx.Response(200, json=case.detail())
        key = request.headers.get("Idempotency-Key")
        if key in self.answers:
            return self.answers[key]
        body = orjson.loads(request.content)
        self.posts.append((case.facts.asset_id, found[2]))
        try:
            self._step(case, found[2], body)
        except RecoveryRefused as exc:
            return httpx.Response(409, json={"title": str(exc)})
        answer = httpx.Response(201, json=case.detail())
        if key is not None:
            self.answers[key] = answer
        return answer

    def _step(self, case: FakeCase, step: str, body: dict[str, Any]) -> None:
        facts = case.facts
        if step == "/checks":
            results = {CheckKind(c["check"]): c["passed"] for c in body["checks"]}
            case.facts = rules.record_checks(facts, results)
            case.checks += [{"check": c["check"], "passed": c["passed"]} for c in body["checks"]]
        elif step == "/grade":
            case.facts = rules.grade(facts, Grade(body["grade"]))
        elif step == "/repairs":
            repair_id = len(case.repairs) + 1
            case.facts = rules.open_repair(facts, repair_id)
            case.repairs.append({"id": repair_id, "cost": body["cost"], "closed_at": None})
        elif (closing := re.fullmatch(r"/repairs/(\d+)/close", step)) is not None:
            case.facts = rules.close_repair(facts, int(closing[1]))
            case.repairs[int(closing[1]) - 1].update(closed_at="now", cost=body["cost"])
        elif step == "/decision":
            case.facts = rules.decide(facts, RecoveryPath(body["path"]))
            case.decision = body
        elif step == "/close":
            rules.close(facts)
            case.facts = replace(facts, closed=True)
        else:
            raise AssertionError(step)

    def stage_of(self, asset_id: str) -> str:
        case = next(c for c in self.cases.values() if c.facts.asset_id == asset_id)
        return "done" if case.facts.closed else stage_of(case.facts).value


def bench_on(api: FakeRecoveryApi, plan_cases: list[BenchCase]) -> BenchOperator:
    client = httpx.AsyncClient(transport=api.transport(), base_url="http://api")
    return BenchOperator(client, BenchPlan({c.asset_id: c for c in plan_cases}))


async def test_rounds_carry_each_grade_along_its_path_and_stop_where_planned() -> None:
    planned = [
        BenchCase("ready", "ready_to_redeploy"),
        BenchCase("repairable", "repairable", repair=2),
        BenchCase("parts", "components_only"),
        BenchCase("recycling", "disposal"),
        BenchCase("wait-intake", "ready_to_redeploy", stop_at="intake"),
        BenchCase("wait-grading", "disposal", stop_at="grading"),
        BenchCase("wait-repair", "repairable", stop_at="repair"),
        BenchCase("wait-decision", "components_only", stop_at="decision"),
    ]
    api = FakeRecoveryApi([c.asset_id for c in planned] + ["not-in-plan"])
    bench = bench_on(api, planned)

    await bench.work_round()
    after_one = {c.asset_id: api.stage_of(c.asset_id) for c in planned}
    assert after_one == {
        "ready": "done",
        "repairable": "repair",  # the repair shop has it until the next round
        "parts": "done",
        "recycling": "done",
        "wait-intake": "intake",
        "wait-grading": "grading",
        "wait-repair": "repair",
        "wait-decision": "decision",
    }
    await bench.work_round()
    assert api.stage_of("repairable") == "done"
    assert api.stage_of("wait-repair") == "repair"
    assert api.stage_of("not-in-plan") == "intake"
    assert bench.unplanned == {"not-in-plan"}

    steps = [step for asset, step in api.posts if asset == "repairable"]
    assert steps == [
        "/checks",  # functional failed
        "/grade",  # repairable
        "/repairs",
        "/repairs/1/close",
        "/checks",  # functional passes after the repair
        "/grade",  # ready to redeploy
        "/decision",
        "/close",
    ]
    repaired = next(c for c in api.cases.values() if c.facts.asset_id == "repairable")
    assert repaired.repairs[0]["cost"] == "7.10"  # the final cost of repair 2
    parts = next(c for c in api.cases.values() if c.facts.asset_id == "parts").decision
    assert parts is not None
    assert sum(Decimal(p["value"]) for p in parts["parts"]) == Decimal("7.40")
    recycled = next(c for c in api.cases.values() if c.facts.asset_id == "recycling").decision
    assert recycled is not None
    assert (recycled["path"], recycled["proceeds"]) == ("recycling", "0.35")
    # A third round finds nothing left to do.
    assert await bench.work_round() == 0


async def test_the_last_round_of_the_day_closes_a_repair_it_opened() -> None:
    api = FakeRecoveryApi(["repairable"])
    bench = bench_on(api, [BenchCase("repairable", "repairable")])
    assert await bench.work_round(finishing=True) == 8
    assert api.stage_of("repairable") == "done"


async def test_a_lost_answer_is_retried_with_the_same_idempotency_key() -> None:
    api = FakeRecoveryApi(["ready"])
    lost: list[httpx.Request] = []

    def losing_the_first_checks_answer(request: httpx.Request) -> httpx.Response:
        answer = api.handle(request)  # the step lands, then its answer is lost
        if request.url.path.endswith("/checks") and not lost:
            lost.append(request)
            raise httpx.ReadError("connection reset", request=request)
        return answer

    client = httpx.AsyncClient(
        transport=httpx.MockTransport(losing_the_first_checks_answer), base_url="http://api"
    )
    bench = BenchOperator(client, BenchPlan({"ready": BenchCase("ready", "ready_to_redeploy")}))
    await bench.work_round()
    assert len(lost) == 1
    assert api.stage_of("ready") == "done"
    assert [step for _, step in api.posts] == ["/checks", "/grade", "/decision", "/close"]


def test_a_graded_case_the_plan_cannot_follow_is_an_error() -> None:
    case = {"id": "rc_1", "stage": "sanitisation", "path": None, "checks": [], "repairs": []}
    with pytest.raises(BenchError, match="waits at sanitisation"):
        next_step(case, BenchCase("x", "ready_to_redeploy"))
