"""A third standard needs only a data file: written here by hand, loaded, graded, no new code."""

from __future__ import annotations

from pathlib import Path

from showcase.standards import grade, load_file

THIRD = """\
schema_version: 1
code: ZZ0009
version: AP01
title: Widget Technician
jurisdiction: Scotland
level: 3
scheme: pass_distinction
source:
  document: A small made-up assessment plan
sections:
  - key: skills
    title: Skills
    modules:
      - key: making-widgets
        title: Making widgets
        methods: [practical, interview]
        statements:
          - number: "1"
            text: Make widgets safely
            items:
              - {number: "1.1", text: "Choose the right tools"}
              - number: "1.2"
                text: "Check each widget:"
                points: [size, finish]
                sufficiency: {min_accepted: 2}
        pass_criteria:
          - {key: pass-1, method: practical, text: Makes a widget to size}
          - {key: pass-2, method: interview, text: Explains the checks}
        distinction_criteria:
          - {key: distinction-1, method: practical, text: Makes a widget to size first time}
          - {key: distinction-2, method: practical, text: Finishes ahead of time}
methods:
  - {key: practical, title: Practical, weight_percent: 70, distinction_threshold: 0.5}
  - {key: interview, title: Interview, weight_percent: 30}
plan:
  overall_rule: weighted_average
  weighted_average:
    distinction_cutoff: 1.7
    text: pass 1, distinction 2, weighted by method; distinction from 1.7
sufficiency:
  min_accepted: 1
  min_third_party: 1
  third_party_kinds: [witness_statement]
"""


def test_third_standard_is_just_a_data_file(tmp_path: Path) -> None:
    path = tmp_path / "zz0009-ap01.yaml"
    path.write_text(THIRD, encoding="utf-8")
    doc = load_file(path)

    assert doc.key == "ZZ0009/AP01"
    assert [u.ref for u in doc.units()] == [
        "ZZ0009/making-widgets/1.1",
        "ZZ0009/making-widgets/1.2",
    ]
    assert doc.unit("ZZ0009/making-widgets/1.2").text == "Check each widget:\n• size\n• finish"
    assert doc.sufficiency_for("ZZ0009/making-widgets/1.2").min_accepted == 2
    assert doc.sufficiency_for("ZZ0009/making-widgets/1.1").min_accepted == 1
    methods = [c.method_key for c in doc.criteria()]
    assert methods == ["practical", "interview", "practical", "practical"]

    judgements = {c.ref: True for c in doc.criteria()}
    judgements["ZZ0009/making-widgets/distinction-2"] = False
    result = grade(doc, judgements)
    # 1 of 2 meets 0.5: practical distinction; interview has no distinction grade.
    assert result.method("practical").status == "distinction"
    assert result.method("interview").status == "pass"
    assert "Interview has no distinction grade." in result.method("interview").explanation
    # (70 x 2 + 30 x 1) / 100 = 1.7: exactly the cut-off.
    assert (result.overall, str(result.weighted_score)) == ("distinction", "17/10")
    assert grade(doc, judgements, overall_rule="each_method").overall == "pass"
