"""TLII4001 as transcribed: counts pinned to the unit of competency."""

from __future__ import annotations

from showcase.standards import StandardDoc


def test_identity(tlii4001: StandardDoc) -> None:
    assert tlii4001.code == "TLII4001"
    assert tlii4001.title == "Coordinate quality customer service"
    assert tlii4001.jurisdiction == "Australia"
    assert tlii4001.scheme == "competency"
    # The text states no release: recorded as such, and as a gap, not guessed.
    assert tlii4001.version == "release-unstated"
    assert any(g.field == "version" for g in tlii4001.gaps())
    assert tlii4001.methods == ()


def test_elements_and_performance_criteria(tlii4001: StandardDoc) -> None:
    elements = [m for m in tlii4001.modules() if m.section_key == "elements"]
    assert [(m.key, m.number, len(m.units)) for m in elements] == [
        ("element-1", "1", 2),
        ("element-2", "2", 3),
        ("element-3", "3", 6),
    ]
    assert elements[0].title == "Plan to meet internal and external customer requirements"
    assert sum(len(m.units) for m in elements) == 11
    assert tlii4001.unit("TLII4001/element-3/3.6").text.startswith("Records, reports")


def test_evidence_items(tlii4001: StandardDoc) -> None:
    performance = tlii4001.module("performance-evidence")
    knowledge = tlii4001.module("knowledge-evidence")
    assert len(performance.units) == 12
    assert len(knowledge.units) == 6
    assert performance.units[0].ref == "TLII4001/performance-evidence/PE1"
    assert knowledge.units[-1].ref == "TLII4001/knowledge-evidence/KE6"
    assert "on at least one occasion" in performance.intro


def test_every_unit_is_judged(tlii4001: StandardDoc) -> None:
    units = tlii4001.units()
    criteria = tlii4001.criteria()
    assert len(units) == len(criteria) == 29
    assert [c.unit_ref for c in criteria] == [u.ref for u in units]
    refs = [u.ref for u in units] + [c.ref for c in criteria]
    assert len(set(refs)) == 58  # a ref names one thing: units and criteria never share one
    assert criteria[0].ref == "TLII4001/element-1/met-1.1"
    assert tlii4001.criterion("TLII4001/knowledge-evidence/met-KE1").text == (
        "customer and market characteristics"
    )
    assert {(c.level, c.basis, c.method_key) for c in criteria} == {("pass", "unit", None)}


def test_about_blocks(tlii4001: StandardDoc) -> None:
    assert [b.key for b in tlii4001.about] == [
        "application",
        "assessment-conditions",
        "foundation-skills",
        "range-statement",
        "sectors",
        "competency-field",
    ]
    assert tlii4001.text_block("competency-field").paragraphs == ("I – Customer Service",)
    assert len(tlii4001.text_block("assessment-conditions").points) == 3
    assert tlii4001.sufficiency_for("TLII4001/element-1/1.1").min_third_party == 1


def test_outcome_labels_are_marked_as_from_outside_the_unit(tlii4001: StandardDoc) -> None:
    [note] = [g for g in tlii4001.gaps() if g.field == "grading_text"]
    assert note.kind == "uncertain" and "outside the unit" in note.reason
