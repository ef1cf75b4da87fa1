"""The rules of a recovery case, on small hand-made facts: stages, what each step needs, the
sanitisation block, and invariants that hold whatever order an operator tries the steps in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.recovery import (
    PATHS_BY_GRADE,
    SANITISED_PATHS,
    CaseFacts,
    CheckKind,
    Grade,
    RecoveryPath,
    RecoveryRefused,
    SanitisationRequired,
    Stage,
    TypeRecovery,
    outstanding,
    rules,
    stage_of,
)

CRATE = TypeRecovery(required_checks=frozenset({CheckKind.functional, CheckKind.cosmetic}))
TERMINAL = TypeRecovery(
    data_bearing=True, required_checks=frozenset({CheckKind.functional, CheckKind.software_lock})
)
PASSED = {CheckKind.functional: True, CheckKind.cosmetic: True, CheckKind.software_lock: True}


def case(type_rules: TypeRecovery = CRATE, **facts: object) -> CaseFacts:
    return replace(CaseFacts(case_id="rc_1", asset_id="crate-1", rules=type_rules), **facts)


def test_a_crate_goes_from_intake_through_grading_to_decision_and_done() -> None:
    facts = case()
    assert stage_of(facts) is Stage.intake
    facts = rules.record_checks(facts, {CheckKind.functional: True})
    assert stage_of(facts) is Stage.grading
    facts = rules.record_checks(facts, {CheckKind.cosmetic: True})
    facts = rules.grade(facts, Grade.ready_to_redeploy)
    assert stage_of(facts) is Stage.decision
    facts = rules.decide(facts, RecoveryPath.redeploy)
    assert stage_of(facts) is Stage.decision
    assert rules.close(facts) is RecoveryPath.redeploy
    assert stage_of(replace(facts, closed=True)) is Stage.done


def test_grading_needs_every_required_check_and_names_the_missing_ones() -> None:
    facts = rules.record_checks(case(), {CheckKind.functional: True})
    with pytest.raises(RecoveryRefused, match="check\\(s\\) cosmetic required before grading"):
        rules.grade(facts, Grade.repairable)
    no_checks_required = case(TypeRecovery())
    assert rules.grade(no_checks_required, Grade.disposal).grade is Grade.disposal


def test_a_failed_functional_check_cannot_grade_ready_to_redeploy() -> None:
    failed = case(checks={CheckKind.functional: False, CheckKind.cosmetic: True})
    with pytest.raises(RecoveryRefused, match="failed functional check"):
        rules.grade(failed, Grade.ready_to_redeploy)
    assert rules.grade(failed, Grade.repairable).grade is Grade.repairable
    # The latest result counts: checked again after a repair, it may be ready.
    fixed = rules.record_checks(failed, {CheckKind.functional: True})
    assert rules.grade(fixed, Grade.ready_to_redeploy).grade is Grade.ready_to_redeploy


def test_a_data_bearing_asset_waits_in_sanitisation_until_its_certificate() -> None:
    graded = rules.grade(case(TERMINAL, checks=dict(PASSED)), Grade.ready_to_redeploy)
    assert stage_of(graded) is Stage.sanitisation
    assert "record an erasure certificate" in outstanding(graded)
    certified = rules.certify(graded)
    assert stage_of(certified) is Stage.decision
    assert "record an erasure certificate" not in outstanding(certified)


@pytest.mark.parametrize("path", [RecoveryPath.redeploy, RecoveryPath.resale])
def test_redeploying_or_reselling_a_data_bearing_asset_needs_a_certificate(
    path: RecoveryPath,
) -> None:
    graded = case(TERMINAL, checks=dict(PASSED), grade=Grade.ready_to_redeploy)
    with pytest.raises(SanitisationRequired) as refused:
        rules.decide(graded, path)
    assert str(refused.value) == "erasure certificate required: asset crate-1 is data-bearing"
    # Nor can a case decided before the rule applied be closed that way.
    with pytest.raises(SanitisationRequired):
        rules.close(replace(graded, path=path))
    assert rules.decide(rules.certify(graded), path).path is path


@pytest.mark.parametrize("path", [RecoveryPath.parts, RecoveryPath.recycling])
def test_harvesting_or_recycling_a_data_bearing_asset_is_not_blocked(path: RecoveryPath) -> None:
    graded = case(TERMINAL, checks=dict(PASSED), grade=Grade.components_only)
    assert rules.close(rules.decide(graded, path)) is path


def test_the_grade_limits_the_paths() -> None:
    disposal = case(grade=Grade.disposal)
    for path in (RecoveryPath.redeploy, RecoveryPath.resale, RecoveryPath.parts):
        with pytest.raises(RecoveryRefused, match=f"graded disposal cannot take path {path}"):
            rules.decide(disposal, path)
    assert rules.decide(disposal, RecoveryPath.recycling).path is RecoveryPath.recycling
    with pytest.raises(RecoveryRefused, match="cannot take path redeploy"):
        rules.decide(case(grade=Grade.repairable), RecoveryPath.redeploy)
    assert PATHS_BY_GRADE[Grade.ready_to_redeploy] == frozenset(RecoveryPath)


def test_out_of_order_steps_name_the_missing_one() -> None:
    with pytest.raises(RecoveryRefused, match="grade case rc_1 before deciding"):
        rules.decide(case(), RecoveryPath.recycling)
    with pytest.raises(RecoveryRefused, match="decide a path for case rc_1 before closing"):
        rules.close(case(grade=Grade.disposal))
    with pytest.raises(RecoveryRefused, match="repair orders need the case graded repairable"):
        rules.open_repair(case(grade=Grade.disposal), 1)
    with pytest.raises(RecoveryRefused, match="repair order 9 is not open"):
        rules.close_repair(case(grade=Grade.repairable, open_repairs=(3,)), 9)


def test_repairs_hold_the_case_and_send_it_back_to_grading_when_all_are_closed() -> None:
    repairable = case(checks=dict(PASSED), grade=Grade.repairable)
    assert stage_of(repairable) is Stage.repair
    both = rules.open_repair(rules.open_repair(repairable, 1), 2)
    assert stage_of(both) is Stage.repair
    with pytest.raises(RecoveryRefused, match="repair order 1 of case rc_1 is still open"):
        rules.decide(both, RecoveryPath.recycling)
    with pytest.raises(RecoveryRefused, match="still open"):
        rules.grade(both, Grade.ready_to_redeploy)
    one_left = rules.close_repair(both, 1)
    assert (stage_of(one_left), one_left.grade) == (Stage.repair, Grade.repairable)
    done = rules.close_repair(one_left, 2)
    assert (stage_of(done), done.grade, done.open_repairs) == (Stage.grading, None, ())
    assert outstanding(done) == ["grade", "decide a path", "close"]


def test_new_checks_on_a_graded_case_clear_its_grade_and_decision() -> None:
    decided = case(checks=dict(PASSED), grade=Grade.ready_to_redeploy, path=RecoveryPath.resale)
    rechecked = rules.record_checks(decided, {CheckKind.functional: False})
    assert (rechecked.grade, rechecked.path, stage_of(rechecked)) == (None, None, Stage.grading)


def test_a_closed_case_takes_no_more_steps() -> None:
    closed = case(checks=dict(PASSED), grade=Grade.disposal, closed=True)
    steps = [
        lambda: rules.record_checks(closed, {CheckKind.cosmetic: True}),
        lambda: rules.grade(closed, Grade.disposal),
        lambda: rules.certify(closed),
        lambda: rules.decide(closed, RecoveryPath.recycling),
        lambda: rules.close(closed),
    ]
    for step in steps:
        with pytest.raises(RecoveryRefused, match="rc_1 is closed"):
            step()
    assert outstanding(closed) == []


def test_what_is_left_reads_like_the_bench_list() -> None:
    assert outstanding(case(TERMINAL)) == [
        "record check functional",
        "record check software_lock",
        "grade",
        "record an erasure certificate",
        "decide a path",
        "close",
    ]
    repairable = case(checks=dict(PASSED), grade=Grade.repairable)
    assert outstanding(repairable)[0].startswith("open a repair order")


def test_a_type_that_opens_cases_on_return_names_their_category() -> None:
    with pytest.raises(ValueError, match="return_category"):
        TypeRecovery(open_on_return=True)


# Any order of attempted steps: the refused ones change nothing, the rest keep the case sane.
# Later steps are drawn more often, so that many runs get as far as deciding and closing.
_KINDS = ["check", "check_all", "certify", "open_repair", "close_repair"] + 2 * ["grade"]
_KINDS += 3 * ["decide"] + 2 * ["close"]


@st.composite
def _step(draw: st.DrawFn) -> tuple[object, ...]:
    kind = draw(st.sampled_from(_KINDS))
    arguments: dict[str, tuple[st.SearchStrategy[object], ...]] = {
        "check": (st.sampled_from(CheckKind), st.booleans()),
        "check_all": (st.booleans(),),
        "grade": (st.sampled_from(Grade),),
        "open_repair": (st.integers(1, 5),),
        "close_repair": (st.integers(1, 5),),
        "decide": (st.sampled_from(RecoveryPath),),
    }
    return (kind, *(draw(argument) for argument in arguments.get(kind, ())))


def _attempt(facts: CaseFacts, step: tuple[object, ...]) -> CaseFacts:
    match step:
        case ("check", CheckKind() as check, bool() as passed):
            return rules.record_checks(facts, {check: passed})
        case ("check_all", bool() as passed):
            return rules.record_checks(facts, dict.fromkeys(CheckKind, passed))
        case ("grade", Grade() as grade):
            return rules.grade(facts, grade)
        case ("certify",):
            return rules.certify(facts)
        case ("open_repair", int() as repair_id) if repair_id not in facts.open_repairs:
            return rules.open_repair(facts, repair_id)
        case ("close_repair", int() as repair_id):
            return rules.close_repair(facts, repair_id)
        case ("decide", RecoveryPath() as path):
            return rules.decide(facts, path)
        case ("close",):
            rules.close(facts)
            return replace(facts, closed=True)
    return facts


def _assert_sane(facts: CaseFacts) -> None:
    if facts.grade is not None:
        assert facts.rules.required_checks <= facts.checks.keys()
    if facts.path is not None:
        assert facts.grade is not None and facts.path in PATHS_BY_GRADE[facts.grade]
        assert not facts.open_repairs
        if facts.path in SANITISED_PATHS and facts.rules.data_bearing:
            assert facts.certified
    if facts.open_repairs:
        assert stage_of(facts) in (Stage.repair, Stage.done)
    if facts.closed:
        assert facts.path is not None


@settings(max_examples=300, deadline=None)
@given(
    data_bearing=st.booleans(),
    required=st.frozensets(st.sampled_from(CheckKind)),
    steps=st.lists(_step(), min_size=5, max_size=40),
)
def test_whatever_the_order_of_steps_the_case_stays_sane(
    data_bearing: bool, required: frozenset[CheckKind], steps: list[tuple[object, ...]]
) -> None:
    facts = case(TypeRecovery(data_bearing=data_bearing, required_checks=required))
    for step in steps:
        try:
            after = _attempt(facts, step)
        except RecoveryRefused:
            continue
        if facts.closed:
            pytest.fail(f"a closed case took step {step}")
        if after.grade is Grade.ready_to_redeploy and after.grade is not facts.grade:
            assert after.checks.get(CheckKind.functional) is not False
        facts = after
        _assert_sane(facts)
