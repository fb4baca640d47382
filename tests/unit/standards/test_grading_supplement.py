"""An assessment organisation's supplement: its schema, the fill-only rule, and grading with
and without it (properties over random judgements, as in test_grading_properties.py)."""

from __future__ import annotations

import math

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from showcase.standards import StandardFileError, bundled_docs, grade
from showcase.standards.files import DATA_DIR
from showcase.standards.supplements import (
    SupplementRefused,
    apply_supplement,
    check_supplement,
    load_supplement,
)

ST0072 = bundled_docs()["ST0072/AP02"]
EXAMPLE_PATH = DATA_DIR / "supplements" / "st0072-ap02-example.yaml"
EXAMPLE_TEXT = EXAMPLE_PATH.read_text(encoding="utf-8")
EXAMPLE = load_supplement(EXAMPLE_TEXT, EXAMPLE_PATH.name)
MERGED = apply_supplement(ST0072, EXAMPLE, organisation="Example EPA", organisation_id=7, version=2)
RULES = ["each_method", "weighted_average"]
SHOWCASE_DISTINCTIONS = [c for c in MERGED.criteria("showcase") if c.level == "distinction"]


def edited(change) -> str:
    data = yaml.safe_load(EXAMPLE_TEXT)
    change(data)
    return yaml.safe_dump(data, allow_unicode=True)


def refusal(text: str) -> str:
    with pytest.raises(StandardFileError) as refused:
        check_supplement(ST0072, load_supplement(text, "ours.yaml"), "ours.yaml")
    return " ".join(f"{where}: {what}" for where, what in refused.value.problems)


# ----------------------------------------------------------------------------- the file


def test_the_example_is_valid_and_labelled_illustrative() -> None:
    check_supplement(ST0072, EXAMPLE, EXAMPLE_PATH.name)
    assert EXAMPLE.illustrative
    assert "Illustrative example — not a real EPAO's criteria" in EXAMPLE_TEXT


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("schema_version: 1\nstandard: ST0072/AP02\n", "title: missing required field"),
        ("- a list\n", "the top level must be a mapping"),
        ("schema_version: 1\nstandard: [unclosed\n", "invalid YAML"),
        (
            edited(lambda d: d.update(distinction_threshold=0.5)),
            "distinction_threshold: unknown field: a supplement may give only pass_criteria or "
            "distinction_criteria",
        ),
        (
            edited(lambda d: d["modules"][0].update(title="Renamed")),
            "modules[0].title: unknown field",
        ),
        (edited(lambda d: d.update(standard="ST0072 AP02")), "standard: String should match"),
    ],
)
def test_schema_refusals_name_the_field(text: str, message: str) -> None:
    with pytest.raises(StandardFileError, match=r"ours\.yaml") as refused:
        load_supplement(text, "ours.yaml")
    assert message in " ".join(f"{w}: {p}" for w, p in refused.value.problems)


# ----------------------------------------------------------------------------- fill only


def test_criteria_the_plan_states_cannot_be_given() -> None:
    def add_observation_criteria(data: dict) -> None:
        data["modules"].append(
            {
                "key": "interpersonal-skills",
                "distinction_criteria": [{"key": "d9", "text": "A stricter criterion."}],
            }
        )

    message = refusal(edited(add_observation_criteria))
    assert "modules[10].distinction_criteria: the plan states Interpersonal skills's" in message
    assert "cannot change what the plan states" in message


def test_none_stated_is_not_missing() -> None:
    """A module whose distinction criteria the plan says are none ("N/A") is not a gap."""
    stated_none = next(
        m
        for m in ST0072.modules()
        if not m.distinction_criteria and not any(g.field == "distinction_criteria" for g in m.gaps)
    )

    def add(data: dict) -> None:
        data["modules"].append(
            {"key": stated_none.key, "distinction_criteria": [{"key": "d1", "text": "More."}]}
        )

    assert f"the plan states {stated_none.title}'s distinction criteria" in refusal(edited(add))


def test_pass_criteria_only_where_the_plan_lacks_them() -> None:
    def add_pass(data: dict) -> None:
        data["modules"][0]["pass_criteria"] = [{"key": "p1", "text": "Knows the brand."}]

    check_supplement(ST0072, load_supplement(edited(add_pass), "ours.yaml"), "ours.yaml")

    def add_pass_to_stated(data: dict) -> None:
        data["modules"].append(
            {"key": "knowing-your-customers", "pass_criteria": [{"key": "p1", "text": "Knows."}]}
        )

    assert "the plan states Knowing your customers's pass criteria" in refusal(
        edited(add_pass_to_stated)
    )


def test_a_method_is_filled_whole_or_not_at_all() -> None:
    message = refusal(edited(lambda d: d.update(modules=d["modules"][:3])))
    assert "Apprentice Showcase's distinction rule counts all its distinction criteria" in message
    assert "Team working" in message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(standard="ST0072/AP01"), "for ST0072/AP01, not ST0072/AP02"),
        (lambda d: d["modules"][0].update(key="nope"), "has no module 'nope'"),
        (lambda d: d["modules"].append(d["modules"][0]), "is listed twice"),
        (
            lambda d: d["modules"][0]["distinction_criteria"].append(
                dict(d["modules"][0]["distinction_criteria"][0])
            ),
            "criterion key 'd1' is used twice",
        ),
        (
            lambda d: d["modules"][0]["distinction_criteria"][0].update(method="observation"),
            "'observation' is not one of the module's methods",
        ),
        (lambda d: d["modules"][0].pop("distinction_criteria"), "give pass_criteria or"),
    ],
)
def test_other_refusals(change, message: str) -> None:
    assert message in refusal(edited(change))


def test_refusal_is_a_validation_error() -> None:
    with pytest.raises(SupplementRefused):
        check_supplement(
            ST0072,
            load_supplement(edited(lambda d: d.update(standard="X/Y")), "x.yaml"),
            "x.yaml",
        )


def test_merging_never_changes_the_plan() -> None:
    """Every criterion of the plan is in the merged document with its words; only the
    supplement's are new, each marked as the organisation's; the plan's document is as it was."""
    plan = {c.ref: c for c in ST0072.criteria()}
    merged = {c.ref: c for c in MERGED.criteria()}
    for ref, criterion in plan.items():
        assert merged[ref] == criterion
    added = [c for ref, c in merged.items() if ref not in plan]
    assert len(added) == 20
    assert all(c.ref.split("/")[-1].startswith("o7v2-") for c in added)
    assert all(c.supplement and "Example EPA, not of the plan" in c.supplement for c in added)
    assert ST0072.method("showcase").distinction_gap  # the plan's own document is untouched
    assert ST0072.supplement is None
    assert MERGED.method("showcase").distinction_gap is None
    for method in ST0072.methods:
        kept = method.model_dump(exclude={"distinction_gap"})
        assert MERGED.method(method.key).model_dump(exclude={"distinction_gap"}) == kept


def test_a_plan_file_cannot_pose_as_a_supplement(tmp_path) -> None:
    from showcase.standards import load_text

    text = (DATA_DIR / "st0072-ap02.yaml").read_text(encoding="utf-8")
    marked = text.replace(
        "distinction_criteria: []",
        "distinction_criteria: []\nsupplement: {organisation: X, version: 1, title: T}",
        1,
    )
    with pytest.raises(StandardFileError):
        load_text(marked, "st0072-ap02.yaml")


# ----------------------------------------------------------------------------- grading


def all_passes(doc) -> dict[str, bool]:
    return {c.ref: True for c in doc.criteria() if c.level == "pass"}


def test_with_the_supplement_a_distinction_is_reachable_and_named() -> None:
    judged = {c.ref: True for c in MERGED.criteria()}
    result = grade(MERGED, judged)
    assert (result.overall, result.distinction, result.headline) == (
        "distinction",
        "awarded",
        "Distinction",
    )
    assert result.supplement is not None and "Example EPA" in result.supplement
    assert "Example EPA, not of the plan (supplement version 2)" in result.explanation[0]
    assert "illustrative example" in result.explanation[0]
    assert any(
        "20 of its 20 distinction criteria are the criteria of Example EPA" in line
        for line in result.method("showcase").explanation
    )


def test_without_it_the_same_judgements_are_never_a_bare_pass() -> None:
    judged = {c.ref: True for c in ST0072.criteria()}
    result = grade(ST0072, judged)
    assert result.grade == "pass_distinction_undetermined"
    assert result.supplement is None


def test_weighted_average_reaches_its_cut_with_the_supplement() -> None:
    judged = {c.ref: True for c in MERGED.criteria()}
    result = grade(MERGED, judged, overall_rule="weighted_average")
    assert result.overall == "distinction"
    assert result.weighted_score == 2


@given(st.data(), st.sampled_from(RULES))
def test_supplement_decides_what_the_plan_could_not(more: st.DataObject, rule: str) -> None:
    """Property: with every pass criterion met, the observation and the discussion at
    distinction and the supplement's showcase criteria judged at random, the grade is decided
    (never undetermined): a distinction exactly when at least 70% of the showcase's
    distinction criteria are met (each_method), and the explanation names the supplement."""
    judged = all_passes(MERGED)
    for method in ("observation", "professional-discussion"):
        judged.update({c.ref: True for c in MERGED.criteria(method) if c.level == "distinction"})
    met = 0
    for c in SHOWCASE_DISTINCTIONS:
        judged[c.ref] = more.draw(st.booleans())
        met += judged[c.ref]
    result = grade(MERGED, judged, overall_rule=rule)
    assert result.distinction in ("awarded", "not_awarded")
    assert result.grade in ("pass", "distinction")
    assert not result.distinction_undetermined
    assert "Example EPA" in result.explanation[0]
    showcase_distinction = met >= math.ceil(0.7 * len(SHOWCASE_DISTINCTIONS))
    assert (result.method("showcase").status == "distinction") == showcase_distinction
    if rule == "each_method":
        assert (result.overall == "distinction") == showcase_distinction


@given(st.data(), st.sampled_from(RULES))
def test_without_a_supplement_observation_and_discussion_distinctions_are_never_a_bare_pass(
    more: st.DataObject, rule: str
) -> None:
    """Property (no supplement): every pass criterion met, observation and discussion at
    distinction -> "pass, distinction undetermined", never a bare pass, never a distinction."""
    judged = all_passes(ST0072)
    for method in ("observation", "professional-discussion"):
        distinctions = [c for c in ST0072.criteria(method) if c.level == "distinction"]
        needed = ST0072.method(method).distinction_required(len(distinctions))
        chosen = more.draw(st.sets(st.sampled_from(distinctions), min_size=needed))
        judged.update({c.ref: c in chosen for c in distinctions})
    result = grade(ST0072, judged, overall_rule=rule)
    assert result.overall == "pass"
    assert result.grade == "pass_distinction_undetermined"
    assert result.headline != "Pass"
    assert result.supplement is None


@given(st.dictionaries(st.sampled_from([c.ref for c in MERGED.criteria()]), st.booleans()))
def test_the_supplement_only_ever_adds_chances(judged: dict[str, bool]) -> None:
    """Property: the example adds only distinction criteria, so it fails exactly what the plan
    fails, and gives a distinction only where the plan alone could not decide one."""
    plan_refs = {c.ref for c in ST0072.criteria()}
    plan_only = {ref: met for ref, met in judged.items() if ref in plan_refs}
    without = grade(ST0072, plan_only)
    with_it = grade(MERGED, judged)
    assert (with_it.overall == "fail") == (without.overall == "fail")
    if with_it.overall == "distinction":
        assert without.overall in ("pass", "not_yet_assessed")
