"""Grading at every boundary: thresholds, unmet and missing judgements, both overall rules."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from showcase.standards import StandardDoc, grade


def all_met(doc: StandardDoc, method: str | None = None) -> dict[str, bool]:
    return {c.ref: True for c in doc.criteria(method)}


def with_distinctions(doc: StandardDoc, method: str, met: int) -> dict[str, bool]:
    """Every criterion met, except that only the first ``met`` of ``method``'s distinctions are."""
    judgements = all_met(doc)
    distinctions = [c for c in doc.criteria(method) if c.level == "distinction"]
    for i, criterion in enumerate(distinctions):
        judgements[criterion.ref] = i < met
    return judgements


# ------------------------------------------------------------------ ST0072 boundaries


@pytest.mark.parametrize(
    ("met", "status"),
    [(5, "distinction"), (4, "distinction"), (3, "pass"), (0, "pass")],
)
def test_observation_needs_4_of_5(st0072: StandardDoc, met: int, status: str) -> None:
    result = grade(st0072, with_distinctions(st0072, "observation", met)).method("observation")
    assert result.status == status
    assert (result.distinction_met, result.distinction_total) == (met, 5)
    assert result.distinction_required == 4
    assert (
        f"Distinction needs 4 of 5 Practical Observation distinction criteria; {met} "
        f"{'was' if met == 1 else 'were'} met." in result.explanation
    )


@pytest.mark.parametrize(("met", "status"), [(4, "distinction"), (3, "distinction"), (2, "pass")])
def test_professional_discussion_needs_3_of_4(st0072: StandardDoc, met: int, status: str) -> None:
    judgements = with_distinctions(st0072, "professional-discussion", met)
    result = grade(st0072, judgements).method("professional-discussion")
    assert (result.status, result.distinction_required) == (status, 3)


def test_showcase_distinction_cannot_be_computed(st0072: StandardDoc) -> None:
    result = grade(st0072, all_met(st0072))
    showcase = result.method("showcase")
    assert showcase.status == "pass"
    assert showcase.distinction_total == 0 and showcase.distinction_required is None
    assert showcase.distinction_undetermined
    assert any("cannot be computed from the data" in line for line in showcase.explanation)
    # Everything met: the data supports a pass and says it cannot decide on a distinction.
    assert (result.overall, result.distinction_undetermined) == ("pass", True)
    assert result.method("observation").status == "distinction"
    assert result.method("professional-discussion").status == "distinction"


def test_one_unmet_pass_criterion_fails_everything(st0072: StandardDoc) -> None:
    judgements = {"ST0072/equality/pass-2": False}  # nothing else judged yet
    result = grade(st0072, judgements)
    assert result.overall == "fail"
    assert result.method("observation").status == "fail"
    assert result.method("showcase").status == "not_yet_assessed"
    assert result.not_met_refs == ("ST0072/equality/pass-2",)
    assert "unmet pass criterion" in result.explanation[-1]


def test_missing_judgement_is_never_a_pass(st0072: StandardDoc) -> None:
    judgements = all_met(st0072)
    del judgements["ST0072/customer-experience/pass-2"]
    result = grade(st0072, judgements)
    assert result.overall == "not_yet_assessed"
    assert result.method("professional-discussion").status == "not_yet_assessed"
    assert result.method("professional-discussion").pass_missing == 1
    assert result.missing_refs == ("ST0072/customer-experience/pass-2",)
    assert (result.lowest, result.highest) == ("fail", "pass")


def test_nothing_judged(st0072: StandardDoc) -> None:
    result = grade(st0072, {})
    assert result.overall == "not_yet_assessed"
    assert {m.status for m in result.methods} == {"not_yet_assessed"}
    assert len(result.missing_refs) == 55


def test_contexts_limit_criteria(st0072: StandardDoc) -> None:
    judgements = all_met(st0072)
    for key in ("pass-4", "pass-5", "pass-6"):  # the non-facing communication criteria
        del judgements[f"ST0072/communication/{key}"]
    assert grade(st0072, judgements).overall == "not_yet_assessed"
    result = grade(st0072, judgements, contexts=["face-to-face"])
    assert result.overall == "pass"
    assert result.method("observation").pass_total == 17
    with pytest.raises(ValueError, match="unknown context"):
        grade(st0072, judgements, contexts=["telepathy"])
    with pytest.raises(ValueError, match="at least one context"):
        grade(st0072, judgements, contexts=[])


def test_weighted_average_on_st0072(st0072: StandardDoc) -> None:
    result = grade(st0072, all_met(st0072), overall_rule="weighted_average")
    # 65 x 1 + 20 x 2 + 15 x 2 = 135 -> 1.35 < 1.5
    assert (result.overall, result.weighted_score) == ("pass", Fraction(27, 20))
    assert result.overall_rule == "weighted_average"
    assert any("1.35" in line for line in result.explanation)
    assert result.distinction_undetermined  # a showcase distinction would make it 2.0


def test_unknown_refs_and_values_are_refused(st0072: StandardDoc) -> None:
    with pytest.raises(ValueError, match="has no criteria ST0072/nope"):
        grade(st0072, {"ST0072/nope": True})
    with pytest.raises(TypeError, match="must be True or False"):
        grade(st0072, {"ST0072/equality/pass-1": 1})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="unknown overall rule"):
        grade(st0072, {}, overall_rule="median")  # type: ignore[arg-type]


# ------------------------------------------------------------- exact threshold arithmetic


@pytest.mark.parametrize(("met", "status"), [(10, "distinction"), (7, "distinction"), (6, "pass")])
def test_exactly_70_percent(example: StandardDoc, met: int, status: str) -> None:
    result = grade(example, with_distinctions(example, "test", met)).method("test")
    assert (result.status, result.distinction_required) == (status, 7)


@pytest.mark.parametrize(("met", "status"), [(3, "distinction"), (2, "pass")])
def test_30_percent_of_10_is_3_not_4(example: StandardDoc, met: int, status: str) -> None:
    # In floats 0.3 * 10 == 3.0000000000000004, whose ceiling is 4: exact fractions give 3.
    result = grade(example, with_distinctions(example, "project", met)).method("project")
    assert (result.status, result.distinction_required) == (status, 3)


@pytest.mark.parametrize(("met", "status"), [(5, "distinction"), (4, "distinction"), (3, "pass")])
def test_4_of_5_at_80_percent(
    load_spec: Callable[..., StandardDoc], spec: dict[str, Any], met: int, status: str
) -> None:
    spec["methods"][0]["distinction_threshold"] = 0.8
    del spec["sections"][0]["modules"][0]["distinction_criteria"][5:]
    doc = load_spec(spec)
    result = grade(doc, with_distinctions(doc, "test", met)).method("test")
    assert (result.status, result.distinction_required, result.distinction_total) == (status, 4, 5)


def test_3_of_5_is_not_enough_at_80_percent(st0072: StandardDoc) -> None:
    result = grade(st0072, with_distinctions(st0072, "observation", 3))
    assert result.method("observation").status == "pass"
    assert result.overall == "pass"


def test_undecided_distinction_waits(example: StandardDoc) -> None:
    judgements = with_distinctions(example, "test", 6)
    del judgements["XS0001/rules/distinction-10"]  # 6 met, 3 not met, 1 missing: 7 possible
    result = grade(example, judgements).method("test")
    assert (result.status, result.lowest, result.highest) == (
        "not_yet_assessed",
        "pass",
        "distinction",
    )
    # Already enough met: the missing one cannot change it.
    judgements = with_distinctions(example, "test", 7)
    del judgements["XS0001/rules/distinction-10"]
    assert grade(example, judgements).method("test").status == "distinction"
    # Too few possible even if the missing one is met.
    judgements = with_distinctions(example, "test", 5)
    del judgements["XS0001/rules/distinction-10"]
    assert grade(example, judgements).method("test").status == "pass"


# ------------------------------------------------------------------------- overall rules


def test_each_method_needs_every_distinction(example: StandardDoc) -> None:
    assert grade(example, all_met(example)).overall == "distinction"
    judgements = with_distinctions(example, "interview", 2)
    result = grade(example, judgements)
    assert result.overall == "pass"
    assert "Interview is not" in result.explanation[-1]


@pytest.mark.parametrize(
    ("distinctions", "score", "overall"),
    [
        ({"test"}, Fraction(150, 100), "distinction"),  # exactly the 1.5 cut-off
        ({"project", "interview"}, Fraction(150, 100), "distinction"),
        ({"project"}, Fraction(130, 100), "pass"),
        ({"test", "project", "interview"}, Fraction(2), "distinction"),
        (set(), Fraction(1), "pass"),
    ],
)
def test_weighted_average(
    example: StandardDoc, distinctions: set[str], score: Fraction, overall: str
) -> None:
    judgements = all_met(example)
    for criterion in example.criteria():
        if criterion.level == "distinction" and criterion.method_key not in distinctions:
            judgements[criterion.ref] = False
    result = grade(example, judgements, overall_rule="weighted_average")
    assert {m.key for m in result.methods if m.status == "distinction"} == distinctions
    assert (result.weighted_score, result.overall) == (score, overall)


def test_weighted_average_fails_on_any_failed_method(example: StandardDoc) -> None:
    judgements = all_met(example)
    judgements["XS0001/talk/pass-1"] = False
    result = grade(example, judgements, overall_rule="weighted_average")
    assert (result.overall, result.weighted_score) == ("fail", None)


def test_method_without_distinction_criteria_cannot_award_one(
    load_spec: Callable[..., StandardDoc], spec: dict[str, Any]
) -> None:
    spec["sections"][0]["modules"][2]["distinction_criteria"] = []
    del spec["methods"][2]["distinction_count_stated"]
    doc = load_spec(spec)
    result = grade(doc, all_met(doc))
    interview = result.method("interview")
    assert interview.status == "pass"
    assert not interview.distinction_undetermined  # no gap recorded: simply none
    assert "Interview has no distinction criteria in the data" in interview.explanation[1]
    assert result.overall == "pass"
    assert not result.distinction_undetermined
    assert grade(doc, all_met(doc), overall_rule="weighted_average").overall == "distinction"


# ------------------------------------------------------------------------ competency


def test_competent(tlii4001: StandardDoc) -> None:
    result = grade(tlii4001, all_met(tlii4001))
    assert result.overall == "competent"
    assert result.methods == ()
    assert result.explanation[-1] == "Overall: competent — all 29 items are met."


def test_not_yet_competent_beats_missing(tlii4001: StandardDoc) -> None:
    result = grade(tlii4001, {"TLII4001/knowledge-evidence/met-KE3": False})
    assert result.overall == "not_yet_competent"
    assert result.not_met_refs == ("TLII4001/knowledge-evidence/met-KE3",)


def test_competency_missing_is_not_yet_assessed(tlii4001: StandardDoc) -> None:
    judgements = all_met(tlii4001)
    del judgements["TLII4001/performance-evidence/met-PE12"]
    result = grade(tlii4001, judgements)
    assert result.overall == "not_yet_assessed"
    assert "Evidence of Performance: 11 of 12 met, 1 not yet judged." in result.explanation


# ------------------------------------------------------- an honest grade when data is missing


@pytest.mark.parametrize("rule", ["each_method", "weighted_average"])
def test_undetermined_distinction_is_never_a_bare_pass(st0072: StandardDoc, rule: str) -> None:
    result = grade(st0072, all_met(st0072), overall_rule=rule)  # type: ignore[arg-type]
    assert result.overall == "pass"
    assert result.distinction == "undetermined"
    # The value recorded as the final grade says it too, so no list or export shows "pass".
    assert result.grade == "pass_distinction_undetermined"
    assert result.headline == (
        "Pass — distinction cannot be determined: the Apprentice Showcase distinction "
        "criteria are missing from the data"
    )
    overall_lines = [line for line in result.explanation if line.startswith("Overall:")]
    assert overall_lines and all("undetermined" in line for line in overall_lines)
    # It never says the showcase "is not" a distinction and then that this cannot be computed.
    assert not any("is not" in line or "are not" in line for line in overall_lines)


def test_weighted_average_says_a_distinction_is_unreachable_on_this_data(
    st0072: StandardDoc,
) -> None:
    from showcase.standards.grading import weighted_average_ceiling

    ceiling = weighted_average_ceiling(st0072)
    assert ceiling is not None
    # 65 x 1 (showcase: no distinction computable) + 20 x 2 + 15 x 2, over 100.
    assert ceiling.score == Fraction(135, 100)
    assert ceiling.cutoff == Fraction(3, 2)
    assert not ceiling.reachable
    assert ceiling.capped == ("Apprentice Showcase",)
    result = grade(st0072, all_met(st0072), overall_rule="weighted_average")
    assert any(
        "highest score the data allows is 1.35, below the cut of 1.5" in line
        and "unreachable" in line
        for line in result.explanation
    )


def test_weighted_average_ceiling_reachable_with_every_distinction(example: StandardDoc) -> None:
    from showcase.standards.grading import weighted_average_ceiling

    ceiling = weighted_average_ceiling(example)
    assert ceiling is not None and ceiling.reachable and ceiling.capped == ()


@pytest.mark.parametrize(
    ("judged", "distinction", "recorded"),
    [
        ("all", "undetermined", "pass_distinction_undetermined"),
        ("fail", None, "fail"),
        ("none", None, "not_yet_assessed"),
    ],
)
def test_distinction_field(st0072: StandardDoc, judged: str, distinction, recorded) -> None:
    judgements = {
        "all": all_met(st0072),
        "fail": {"ST0072/equality/pass-2": False},
        "none": {},
    }[judged]
    result = grade(st0072, judgements)
    assert (result.distinction, result.grade) == (distinction, recorded)


def test_distinction_awarded_and_not_awarded(example: StandardDoc) -> None:
    best = grade(example, all_met(example))
    assert (best.overall, best.distinction, best.grade) == ("distinction", "awarded", "distinction")
    assert best.headline == "Distinction"
    plain = grade(example, {c.ref: c.level == "pass" for c in example.criteria()})
    assert (plain.overall, plain.distinction) == ("pass", "not_awarded")
    assert (plain.grade, plain.headline) == ("pass", "Pass")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("pass", "Pass"),
        ("not_yet_competent", "Not yet competent"),
        ("pass_distinction_undetermined", "Pass — distinction cannot be determined from the data"),
    ],
)
def test_grade_words(value: str, words: str) -> None:
    from showcase.standards.grading import grade_words

    assert grade_words(value) == words
