"""The rules of a recovery case as pure functions of its facts.

Each step takes the case's facts and returns them as they are after the step, or raises
`RecoveryRefused` naming what is missing. The stage is never set by hand: `stage_of` works it
out from the facts, so it cannot disagree with them.

    intake ─checks─► grading ─grade─► sanitisation ─certificate─► decision ─close─► done
                                 │ repairable                        ▲
                                 ▼                                   │
                              repair ─repair orders closed─► grading (grade again)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from tracker.recovery.model import CaseFacts, CheckKind, Grade, RecoveryPath, Stage


class RecoveryRefused(Exception):
    """The step is out of order, or a rule forbids it; the message names what is missing."""


class SanitisationRequired(RecoveryRefused):
    """A data-bearing asset without an erasure certificate cannot be redeployed or resold."""


# Which paths each grade leaves open: the better the grade, the more can be done with it.
PATHS_BY_GRADE: Mapping[Grade, frozenset[RecoveryPath]] = MappingProxyType(
    {
        Grade.ready_to_redeploy: frozenset(RecoveryPath),
        # Sold as it is, harvested, or recycled; repaired first, it is graded again.
        Grade.repairable: frozenset(
            {RecoveryPath.resale, RecoveryPath.parts, RecoveryPath.recycling}
        ),
        Grade.components_only: frozenset({RecoveryPath.parts, RecoveryPath.recycling}),
        Grade.disposal: frozenset({RecoveryPath.recycling}),
    }
)
# Paths on which the asset, and the data on it, leaves the bench for further use.
SANITISED_PATHS = frozenset({RecoveryPath.redeploy, RecoveryPath.resale})


def stage_of(facts: CaseFacts) -> Stage:
    if facts.closed:
        return Stage.done
    if facts.open_repairs:
        return Stage.repair
    if facts.grade is None:
        return Stage.grading if facts.checks else Stage.intake
    if facts.path is not None:
        return Stage.decision
    if facts.grade is Grade.repairable:
        return Stage.repair
    if facts.rules.data_bearing and not facts.certified:
        return Stage.sanitisation
    return Stage.decision


def _require_open(facts: CaseFacts) -> None:
    if facts.closed:
        raise RecoveryRefused(f"recovery case {facts.case_id} is closed")


def _require_no_open_repair(facts: CaseFacts) -> None:
    if facts.open_repairs:
        raise RecoveryRefused(
            f"repair order {facts.open_repairs[0]} of case {facts.case_id} is still open: "
            "close it first"
        )


def record_checks(facts: CaseFacts, results: Mapping[CheckKind, bool]) -> CaseFacts:
    """Checks are the evidence for a grade: new evidence on a graded case means grading it
    again, so its grade and any path chosen are cleared."""
    _require_open(facts)
    if not results:
        raise ValueError("record at least one check")
    return replace(facts, checks={**facts.checks, **results}, grade=None, path=None)


def grade(facts: CaseFacts, new_grade: Grade) -> CaseFacts:
    _require_open(facts)
    _require_no_open_repair(facts)
    missing = sorted(facts.rules.required_checks - facts.checks.keys())
    if missing:
        raise RecoveryRefused(
            f"check(s) {', '.join(missing)} required before grading: the type of asset "
            f"{facts.asset_id} requires them"
        )
    if new_grade is Grade.ready_to_redeploy and facts.checks.get(CheckKind.functional) is False:
        raise RecoveryRefused(
            "a failed functional check cannot grade ready_to_redeploy: record a passing "
            "functional check (after repair) or grade it lower"
        )
    return replace(facts, grade=new_grade, path=None)


def certify(facts: CaseFacts) -> CaseFacts:
    """An erasure certificate can be recorded at any open stage (often right at intake)."""
    _require_open(facts)
    return replace(facts, certified=True)


def open_repair(facts: CaseFacts, repair_id: int) -> CaseFacts:
    _require_open(facts)
    if facts.grade is not Grade.repairable:
        graded = f"graded {facts.grade}" if facts.grade else "not graded"
        raise RecoveryRefused(
            f"repair orders need the case graded repairable: case {facts.case_id} is {graded}"
        )
    return replace(facts, open_repairs=(*facts.open_repairs, repair_id), path=None)


def close_repair(facts: CaseFacts, repair_id: int) -> CaseFacts:
    """Once the last open order is closed the case goes back to grading: what was repaired
    (or found unrepairable) is graded again."""
    _require_open(facts)
    if repair_id not in facts.open_repairs:
        raise RecoveryRefused(f"repair order {repair_id} is not open on case {facts.case_id}")
    still_open = tuple(i for i in facts.open_repairs if i != repair_id)
    return replace(
        facts, open_repairs=still_open, grade=facts.grade if still_open else None, path=None
    )


def require_sanitised(facts: CaseFacts, path: RecoveryPath) -> None:
    if path in SANITISED_PATHS and facts.rules.data_bearing and not facts.certified:
        raise SanitisationRequired(
            f"erasure certificate required: asset {facts.asset_id} is data-bearing"
        )


def decide(facts: CaseFacts, path: RecoveryPath) -> CaseFacts:
    """Choose a path; it can be chosen again until the case is closed."""
    _require_open(facts)
    if facts.grade is None:
        raise RecoveryRefused(f"grade case {facts.case_id} before deciding its path")
    _require_no_open_repair(facts)
    allowed = PATHS_BY_GRADE[facts.grade]
    if path not in allowed:
        raise RecoveryRefused(
            f"a case graded {facts.grade} cannot take path {path} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    require_sanitised(facts, path)
    return replace(facts, path=path)


def close(facts: CaseFacts) -> RecoveryPath:
    """The path to carry out; the rules of `decide` are checked once more."""
    _require_open(facts)
    if facts.path is None:
        raise RecoveryRefused(f"decide a path for case {facts.case_id} before closing it")
    decide(facts, facts.path)  # nothing since the decision may have broken its rules
    return facts.path


def outstanding(facts: CaseFacts) -> list[str]:
    """What is left to do, in order, as a bench operator would read it."""
    if facts.closed:
        return []
    if facts.open_repairs:
        return [f"close repair order {repair_id}" for repair_id in facts.open_repairs]
    steps: list[str] = []
    if facts.grade is None:
        missing = sorted(facts.rules.required_checks - facts.checks.keys())
        steps += [f"record check {check}" for check in missing]
        steps.append("grade")
    elif facts.grade is Grade.repairable and facts.path is None:
        steps.append("open a repair order, or decide resale, parts or recycling")
    unsafe = facts.path is None or facts.path in SANITISED_PATHS
    if facts.rules.data_bearing and not facts.certified and unsafe:
        steps.append("record an erasure certificate")
    if facts.path is None:
        steps.append("decide a path")
    steps.append("close")
    return steps
