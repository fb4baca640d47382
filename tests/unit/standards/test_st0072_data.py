"""ST0072/AP02 as transcribed: counts pinned to the source document, refs, plan settings."""

from __future__ import annotations

from collections import Counter

import pytest

from showcase.standards import StandardDoc

#: Items per module, counted from Annex A of the OCR'd plan (your-role 2.1 is lost: 4 not 5).
ITEMS = {
    "knowing-your-customers": 16,
    "understanding-the-organisation": 13,
    "meeting-regulations-and-legislation": 5,
    "systems-and-resources": 4,
    "your-role-and-responsibility": 4,
    "customer-experience": 5,
    "product-and-service-knowledge": 3,
    "interpersonal-skills": 3,
    "communication": 6,
    "influencing-skills": 4,
    "personal-organisation": 5,
    "dealing-with-customer-conflict-and-challenge": 10,
    "developing-self": 4,
    "being-open-to-feedback": 4,
    "team-working": 5,
    "equality": 3,
    "presentation": 7,
    "right-first-time": 15,
}
#: (pass, distinction) criteria per module; showcase modules judge their standard statements.
CRITERIA = {
    "knowing-your-customers": (3, 3),
    "understanding-the-organisation": (3, 0),
    "meeting-regulations-and-legislation": (2, 0),
    "systems-and-resources": (2, 0),
    "your-role-and-responsibility": (2, 0),
    "customer-experience": (2, 1),
    "product-and-service-knowledge": (1, 0),
    "interpersonal-skills": (3, 3),
    "communication": (6, 2),
    "influencing-skills": (1, 0),
    "personal-organisation": (1, 0),
    "dealing-with-customer-conflict-and-challenge": (4, 0),
    "developing-self": (2, 0),
    "being-open-to-feedback": (1, 0),
    "team-working": (2, 0),
    "equality": (2, 0),
    "presentation": (3, 0),
    "right-first-time": (6, 0),
}
SHOWCASE = [
    "understanding-the-organisation",
    "meeting-regulations-and-legislation",
    "systems-and-resources",
    "product-and-service-knowledge",
    "influencing-skills",
    "personal-organisation",
    "dealing-with-customer-conflict-and-challenge",
    "developing-self",
    "being-open-to-feedback",
    "team-working",
]


def test_identity(st0072: StandardDoc) -> None:
    assert (st0072.code, st0072.version, st0072.key) == ("ST0072", "AP02", "ST0072/AP02")
    assert st0072.title == "Customer Service Practitioner"
    assert (st0072.jurisdiction, st0072.level, st0072.scheme) == ("England", 2, "pass_distinction")
    assert st0072.source.copyright == "Crown copyright 2016"
    assert st0072.source.licence == "Open Government Licence"


def test_sections_and_module_counts(st0072: StandardDoc) -> None:
    assert [(s.key, s.title, len(s.modules)) for s in st0072.sections] == [
        ("knowledge", "Knowledge", 7),
        ("skills", "Skills", 5),
        ("behaviours", "Behaviours", 6),
    ]
    assert st0072.sections[0].heading == "What do I need to KNOW"
    assert [m.key for m in st0072.modules()] == list(ITEMS)


def test_items_per_module(st0072: StandardDoc) -> None:
    assert {m.key: len(m.units) for m in st0072.modules()} == ITEMS
    assert len(st0072.units()) == sum(ITEMS.values()) == 116


def test_refs_unique_and_derived_from_keys(st0072: StandardDoc) -> None:
    refs = [u.ref for u in st0072.units()] + [c.ref for c in st0072.criteria()]
    assert len(refs) == len(set(refs)) == 116 + 55
    for unit in st0072.units():
        assert unit.ref == f"ST0072/{unit.module_key}/{unit.number}"
    assert st0072.units()[0].ref == "ST0072/knowing-your-customers/1.1"
    assert st0072.criterion("ST0072/interpersonal-skills/pass-1").method_key == "observation"


def test_criteria_per_module(st0072: StandardDoc) -> None:
    got = {m.key: (len(m.pass_criteria), len(m.distinction_criteria)) for m in st0072.modules()}
    assert got == CRITERIA


@pytest.mark.parametrize(
    ("method", "passes", "distinctions"),
    [("showcase", 19, 0), ("observation", 20, 5), ("professional-discussion", 7, 4)],
)
def test_criteria_per_method(st0072: StandardDoc, method: str, passes: int, distinctions: int):
    levels = Counter(c.level for c in st0072.criteria(method))
    assert (levels["pass"], levels["distinction"]) == (passes, distinctions)


def test_methods(st0072: StandardDoc) -> None:
    got = [
        (m.key, m.title, m.weight_percent, m.distinction_threshold, m.distinction_required(n))
        for m, n in zip(st0072.methods, (0, 5, 4), strict=True)
    ]
    assert got == [
        ("showcase", "Apprentice Showcase", 65, 0.70, None),
        ("observation", "Practical Observation", 20, 0.80, 4),
        ("professional-discussion", "Professional Discussion", 15, 0.75, 3),
    ]
    assert st0072.method("observation").duration == "Minimum of 1 hour"
    assert st0072.method("showcase").distinction_gap


def test_module_methods_match_plan_areas(st0072: StandardDoc) -> None:
    by_method: dict[str, list[str]] = {}
    for module in st0072.modules():
        for method in module.methods:
            by_method.setdefault(method, []).append(module.key)
    assert by_method["showcase"] == SHOWCASE == list(st0072.plan.showcase_areas)
    assert by_method["observation"] == [
        "interpersonal-skills",
        "communication",
        "equality",
        "presentation",
        "right-first-time",
    ]
    assert by_method["professional-discussion"] == [
        "knowing-your-customers",
        "your-role-and-responsibility",
        "customer-experience",
    ]


def test_plan(st0072: StandardDoc) -> None:
    plan = st0072.plan
    assert plan.review_points_months == (3, 6, 9)
    assert plan.gateway_min_months == 12
    assert [(s.role, s.required) for s in plan.gateway_signoffs] == [
        ("employer", True),
        ("training_provider", False),
    ]
    assert "formally sign-off" in plan.gateway_signoffs[0].wording
    assert plan.observation_mandatory_areas == (
        "presentation",
        "equality",
        "interpersonal-skills",
        "communication",
        "personal-organisation",
    )
    assert plan.pass_rule == "all_pass_criteria"
    assert plan.overall_rule == "each_method"
    assert {r.rule for r in plan.overall_readings} == {"each_method", "weighted_average"}
    assert plan.weighted_average is not None
    assert plan.weighted_average.cutoff_fraction == 1.5


def test_independence_and_iqa(st0072: StandardDoc) -> None:
    plan = st0072.plan
    assert [r.key for r in plan.independence][:4] == [
        "sector_understanding",
        "occupational_competence",
        "no_direct_relationship",
        "assessment_qualification",
    ]
    rule = plan.rule("no_direct_relationship")
    assert rule.enforced_by_app
    assert "employer or training provider" in rule.app_meaning
    assert "tutor or line manager" in rule.app_meaning
    iqa = plan.rule("iqa_not_involved")
    assert iqa.enforced_by_app and "delivery or assessment" in iqa.text


def test_texts(st0072: StandardDoc) -> None:
    unit = st0072.unit("ST0072/interpersonal-skills/1.1")
    assert len(unit.points) == 4
    assert unit.text.startswith("Demonstrate effective interpersonal skills")
    assert "• Effective use of body language when interacting with customers" in unit.text
    first = st0072.unit("ST0072/knowing-your-customers/1.1")
    assert (first.text, first.statement) == (
        "Who are my customers?",
        "Understand who customers are",
    )
    assert first.section_key == "knowledge"
    assert st0072.criterion("ST0072/communication/distinction-1").text.endswith(
        "in all customer handling."
    )


def test_recovered_cells_are_marked(st0072: StandardDoc) -> None:
    recovered = [c.ref for c in st0072.criteria() if c.source == "recovered"]
    assert len(recovered) == 12  # interpersonal 2+2, communication 0+2, right first time 6+0
    assert st0072.recovered_from and "Observation & Performance checklist" in st0072.recovered_from
    assert st0072.module("right-first-time").methods_source == "recovered"


def test_showcase_judges_statements_and_records_gaps(st0072: StandardDoc) -> None:
    for key in SHOWCASE:
        module = st0072.module(key)
        assert [c.basis for c in module.pass_criteria] == ["standard_statement"] * len(
            module.statements
        )
        assert all(c.uncertain for c in module.pass_criteria)
        assert {g.field for g in module.gaps} >= {"pass_criteria", "distinction_criteria"}
    criterion = st0072.criterion("ST0072/dealing-with-customer-conflict-and-challenge/statement-2")
    assert criterion.text == "Demonstrate patience and calmness."


def test_gaps_listed(st0072: StandardDoc) -> None:
    notes = st0072.gaps()
    where = {(n.where, n.field) for n in notes}
    assert ("ST0072/your-role-and-responsibility/1.2", "text") in where
    assert ("ST0072/your-role-and-responsibility", "statement 2, item 2.1") in where
    assert ("ST0072/AP02 method showcase", "distinction_criteria") in where
    assert ("ST0072/communication/pass-6", "text") in where
    assert sum(n.field == "pass_criteria" and n.kind == "gap" for n in notes) == 10


def test_contexts(st0072: StandardDoc) -> None:
    assert [c.key for c in st0072.contexts] == ["face-to-face", "non-facing"]
    contexts = Counter(c.context for c in st0072.criteria("observation"))
    assert contexts == {None: 19, "face-to-face": 3, "non-facing": 3}
    assert st0072.unit("ST0072/presentation/1.4").context == "non-facing"


def test_sufficiency_defaults(st0072: StandardDoc) -> None:
    rule = st0072.sufficiency_for("ST0072/communication/1.1")
    assert (rule.min_accepted, rule.min_third_party) == (1, 1)
    assert rule.third_party_kinds == (
        "witness_statement",
        "recording",
        "manager_statement",
        "customer_feedback",
        "observation_record",
        "progress_review",
    )
    with pytest.raises(KeyError):
        st0072.sufficiency_for("ST0072/communication/9.9")


def test_json_round_trip(st0072: StandardDoc) -> None:
    again = StandardDoc.model_validate_json(st0072.model_dump_json())
    assert again.units() == st0072.units()
    assert again.criteria() == st0072.criteria()
    assert again.gaps() == st0072.gaps()


def test_uncertain_readings_of_the_transcription_are_flagged(st0072: StandardDoc) -> None:
    equality = st0072.module("equality").statements[0]
    assert equality.uncertain and "experience." in equality.uncertain
    item = st0072.unit("ST0072/communication/1.6")
    assert item.uncertain and "interleaves" in item.uncertain
    where = {(g.where, g.field) for g in st0072.gaps()}
    assert ("ST0072/communication/1.6", "text") in where
    assert ("ST0072/equality", "statement 1") in where


def test_personal_organisation_reading_agrees_with_the_observation_record(
    st0072: StandardDoc,
) -> None:
    """Every mandatory observation area is judged by the observation or says, in the data,
    how the observation covers it without judging it."""
    for key in st0072.plan.observation_mandatory_areas:
        module = st0072.module(key)
        if "observation" not in module.methods:
            assert module.methods_note and "observation" in module.methods_note, key
    personal = st0072.module("personal-organisation")
    assert personal.methods == ("showcase",)
    assert "not judge" in (personal.methods_note or "")
