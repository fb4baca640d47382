"""Properties of grading over random judgements (met, not met or missing for every criterion)."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from showcase.standards import StandardDoc, bundled_docs, grade, load_text
from showcase.standards.grading import GRADE_ORDER

from .conftest import example_spec

ST0072 = bundled_docs()["ST0072/AP02"]
TLII4001 = bundled_docs()["TLII4001/release-unstated"]
EXAMPLE = load_text(yaml.safe_dump(example_spec()), "example.yaml")
DOCS = [ST0072, EXAMPLE]
RULES = ["each_method", "weighted_average"]


def rank(doc: StandardDoc, overall: str) -> int:
    return GRADE_ORDER[doc.scheme].index(overall)


@st.composite
def judgements(draw: st.DrawFn, doc: StandardDoc, complete: bool = False) -> dict[str, bool]:
    """A value per criterion: True, False, or (unless complete) left out."""
    values = [True, False] if complete else [True, False, None]
    picked = {c.ref: draw(st.sampled_from(values)) for c in doc.criteria()}
    return {ref: value for ref, value in picked.items() if value is not None}


@st.composite
def case(draw: st.DrawFn, complete: bool = False) -> tuple[StandardDoc, dict[str, bool], str]:
    doc = draw(st.sampled_from(DOCS))
    return doc, draw(judgements(doc, complete)), draw(st.sampled_from(RULES))


@given(case())
def test_any_unmet_pass_criterion_fails(data: tuple[StandardDoc, dict[str, bool], str]) -> None:
    doc, judged, rule = data
    result = grade(doc, judged, overall_rule=rule)
    unmet = any(judged.get(c.ref) is False for c in doc.criteria() if c.level == "pass")
    assert (result.overall == "fail") == unmet


@given(case())
def test_pass_or_distinction_needs_every_pass_criterion_met(
    data: tuple[StandardDoc, dict[str, bool], str],
) -> None:
    doc, judged, rule = data
    result = grade(doc, judged, overall_rule=rule)
    if result.overall in ("pass", "distinction"):
        assert all(judged.get(c.ref) is True for c in doc.criteria() if c.level == "pass")


@given(case())
def test_distinction_implies_pass(data: tuple[StandardDoc, dict[str, bool], str]) -> None:
    doc, judged, rule = data
    result = grade(doc, judged, overall_rule=rule)
    if result.overall == "distinction":
        # A determined distinction: whatever is still to be judged, no method can end below a
        # pass. (Under weighted_average a method may still be open when the others' weight
        # already carries the score past the cut-off, so it is its lowest grade that counts.)
        assert all(m.lowest in ("pass", "distinction") for m in result.methods)
        if rule == "each_method":
            assert all(m.lowest == "distinction" for m in result.methods)
    for method in result.methods:
        if method.status == "distinction":
            assert method.pass_met == method.pass_total
            assert method.distinction_met >= (method.distinction_required or 0) > 0


@given(case())
def test_st0072_never_claims_a_distinction_it_cannot_compute(
    data: tuple[StandardDoc, dict[str, bool], str],
) -> None:
    _, judged, rule = data
    judged = {ref: value for ref, value in judged.items() if ref.startswith("ST0072/")}
    result = grade(ST0072, judged, overall_rule=rule)
    assert result.method("showcase").status != "distinction"
    if rule == "each_method":
        assert result.overall != "distinction"


@given(case(complete=True), st.data())
def test_turning_false_into_true_never_lowers_the_grade(
    data: tuple[StandardDoc, dict[str, bool], str], more: st.DataObject
) -> None:
    doc, judged, rule = data
    unmet = sorted(ref for ref, value in judged.items() if not value)
    if not unmet:
        return
    ref = more.draw(st.sampled_from(unmet))
    before = grade(doc, judged, overall_rule=rule)
    after = grade(doc, {**judged, ref: True}, overall_rule=rule)
    assert rank(doc, after.overall) >= rank(doc, before.overall)
    for old, new in zip(before.methods, after.methods, strict=True):
        assert rank(doc, new.status) >= rank(doc, old.status)


@given(case())
def test_a_determined_grade_survives_any_completion(
    data: tuple[StandardDoc, dict[str, bool], str],
) -> None:
    doc, judged, rule = data
    result = grade(doc, judged, overall_rule=rule)
    refs = [c.ref for c in doc.criteria()]
    optimistic = grade(doc, {r: judged.get(r, True) for r in refs}, overall_rule=rule)
    pessimistic = grade(doc, {r: judged.get(r, False) for r in refs}, overall_rule=rule)
    if result.overall != "not_yet_assessed":
        assert optimistic.overall == pessimistic.overall == result.overall
    else:
        assert optimistic.overall == result.highest
        assert pessimistic.overall == result.lowest


@given(case(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_dict_order(
    data: tuple[StandardDoc, dict[str, bool], str], rnd
) -> None:
    doc, judged, rule = data
    items = list(judged.items())
    rnd.shuffle(items)
    assert grade(doc, dict(items), overall_rule=rule) == grade(doc, judged, overall_rule=rule)


@settings(max_examples=50)
@given(judgements(TLII4001))
def test_competency(judged: dict[str, bool]) -> None:
    result = grade(TLII4001, judged)
    values = [judged.get(c.ref) for c in TLII4001.criteria()]
    if False in values:
        assert result.overall == "not_yet_competent"
    elif None in values:
        assert result.overall == "not_yet_assessed"
    else:
        assert result.overall == "competent"


@given(st.data(), st.sampled_from(RULES))
def test_observation_and_discussion_distinctions_are_never_a_bare_pass(
    more: st.DataObject, rule: str
) -> None:
    """ST0072 without its showcase distinction criteria (no supplement): once every pass
    criterion is met and the observation and the discussion are distinctions, the overall
    result says the distinction is undetermined, in its own value, never a bare pass."""
    judged: dict[str, bool] = {c.ref: True for c in ST0072.criteria() if c.level == "pass"}
    for method in ("observation", "professional-discussion"):
        for c in ST0072.criteria(method):
            if c.level == "distinction":
                judged[c.ref] = more.draw(st.booleans())
    result = grade(ST0072, judged, overall_rule=rule)
    if not all(
        result.method(m).status == "distinction" for m in ("observation", "professional-discussion")
    ):
        return
    assert result.overall == "pass"
    assert result.distinction == "undetermined"
    assert result.grade == "pass_distinction_undetermined"
    assert "distinction cannot be determined" in result.headline
    assert result.headline != "Pass"


@given(case())
def test_recorded_grade_is_overall_unless_distinction_undetermined(
    data: tuple[StandardDoc, dict[str, bool], str],
) -> None:
    doc, judged, rule = data
    result = grade(doc, judged, overall_rule=rule)
    if result.distinction == "undetermined":
        assert (result.overall, result.grade) == ("pass", "pass_distinction_undetermined")
        assert result.distinction_undetermined
    else:
        assert result.grade == result.overall
        assert result.distinction == (
            {"distinction": "awarded", "pass": "not_awarded"}.get(result.overall)
        )
