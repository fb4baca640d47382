"""The loader: bundled files load; every broken file names the file, the field and the problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from showcase.errors import ValidationFailed
from showcase.standards import StandardDoc, StandardFileError, bundled_files, load_file, load_text

Loader = Callable[..., StandardDoc]


def error_of(load_spec: Loader, spec: dict[str, Any]) -> StandardFileError:
    with pytest.raises(StandardFileError) as caught:
        load_spec(spec, "st0072.yaml")
    return caught.value


def test_bundled_files_load() -> None:
    names = [p.name for p in bundled_files()]
    assert names == ["st0072-ap02.yaml", "tlii4001.yaml"]
    for path in bundled_files():
        assert load_file(path).units()


def test_error_is_a_validation_failure(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["methods"][1]["weight_percent"] = 20
    error = error_of(load_spec, spec)
    assert isinstance(error, ValidationFailed)
    assert error.status_code == 422
    assert error.message == (
        "st0072.yaml: methods[2].weight_percent: weights sum to 90%, they must sum to 100%"
    )
    assert (error.filename, error.field) == ("st0072.yaml", "methods[2].weight_percent")


def test_bad_yaml_names_the_line() -> None:
    text = "schema_version: 1\ncode: X\n  title: [oops\n"
    with pytest.raises(StandardFileError) as caught:
        load_text(text, "broken.yaml")
    assert caught.value.message.startswith("broken.yaml: line 3, column ")
    assert "invalid YAML" in caught.value.message


def test_duplicate_yaml_key_is_refused() -> None:
    with pytest.raises(StandardFileError, match=r"dup\.yaml: line 2, .*duplicate key 'code'"):
        load_text("code: A\ncode: B\n", "dup.yaml")


@pytest.mark.parametrize("text", ["", "- a list\n", "just text\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    with pytest.raises(StandardFileError, match=r"^x\.yaml: \(file\): "):
        load_text(text, "x.yaml")


def test_unknown_field(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["sections"][0]["modules"][1]["colour"] = "blue"
    error = error_of(load_spec, spec)
    assert error.message == "st0072.yaml: sections[0].modules[1].colour: unknown field " + (
        "(check its spelling and indentation)"
    )


def test_missing_field(load_spec: Loader, spec: dict[str, Any]) -> None:
    del spec["methods"][0]["title"]
    assert error_of(load_spec, spec).message == (
        "st0072.yaml: methods[0].title: missing required field"
    )


def test_unquoted_number(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["sections"][0]["modules"][0]["statements"][0]["items"][0]["number"] = 1.1
    error = error_of(load_spec, spec)
    assert error.field == "sections[0].modules[0].statements[0].items[0].number"
    assert "put it in quotes" in error.problem


def test_unknown_method_in_module(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["sections"][0]["modules"][2]["methods"] = ["viva"]
    error = error_of(load_spec, spec)
    assert error.field == "sections[0].modules[2].methods[0]"
    assert error.problem.startswith("unknown method 'viva'")


def test_unknown_method_in_criterion(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["sections"][0]["modules"][0]["pass_criteria"][1]["method"] = "project"
    error = error_of(load_spec, spec)
    assert error.field == "sections[0].modules[0].pass_criteria[1].method"
    assert "unknown method 'project' for this module" in error.problem


def test_duplicate_item_reference(load_spec: Loader, spec: dict[str, Any]) -> None:
    items = spec["sections"][0]["modules"][0]["statements"][0]["items"]
    items.append(dict(items[0]))
    error = error_of(load_spec, spec)
    assert error.field == "sections[0].modules[0].statements[0].items[1].number"
    assert "XS0001/rules/1.1" in error.message
    assert any("duplicate reference" in p for _, p in error.problems)


def test_duplicate_criterion_reference(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["sections"][0]["modules"][0]["distinction_criteria"][0]["key"] = "pass-1"
    error = error_of(load_spec, spec)
    assert error.field == "sections[0].modules[0].distinction_criteria[0].key"
    assert error.problem.startswith("duplicate reference XS0001/rules/pass-1 (also at ")


def test_duplicate_module_key(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["sections"][0]["modules"][1]["key"] = "rules"
    assert error_of(load_spec, spec).field == "sections[0].modules[1].key"


@pytest.mark.parametrize("threshold", [1.5, 0, -0.1])
def test_threshold_outside_0_1(load_spec: Loader, spec: dict[str, Any], threshold: float) -> None:
    spec["methods"][0]["distinction_threshold"] = threshold
    error = error_of(load_spec, spec)
    assert error.field == "methods[0].distinction_threshold"
    assert f"threshold {threshold} is outside 0 to 1" in error.problem


@pytest.mark.parametrize("area", ["showcase_areas", "observation_mandatory_areas"])
def test_area_naming_unknown_module(load_spec: Loader, spec: dict[str, Any], area: str) -> None:
    spec["plan"][area] = ["rules", "nonsense"]
    assert error_of(load_spec, spec).message == (
        f"st0072.yaml: plan.{area}[1]: unknown module 'nonsense'"
    )


def test_stated_count_must_match_the_data(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["methods"][2]["distinction_count_stated"] = {"required": 4, "of": 5}
    error = error_of(load_spec, spec)
    assert error.field == "methods[2].distinction_count_stated.of"
    assert "the source says 4 of 5, but the file has 4" in error.problem


def test_item_number_must_sit_under_its_statement(load_spec: Loader, spec: dict[str, Any]):
    spec["sections"][0]["modules"][0]["statements"][0]["items"][0]["number"] = "2.1"
    error = error_of(load_spec, spec)
    assert error.problem == "item 2.1 is under statement 1"


def test_unknown_context(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["sections"][0]["modules"][0]["pass_criteria"][0]["context"] = "on-the-moon"
    error = error_of(load_spec, spec)
    assert error.field == "sections[0].modules[0].pass_criteria[0].context"


def test_overall_rule_required(load_spec: Loader, spec: dict[str, Any]) -> None:
    del spec["plan"]["overall_rule"]
    assert error_of(load_spec, spec).field == "plan.overall_rule"


def test_weighted_average_needs_settings(load_spec: Loader, spec: dict[str, Any]) -> None:
    spec["plan"]["overall_rule"] = "weighted_average"
    del spec["plan"]["weighted_average"]
    assert error_of(load_spec, spec).field == "plan.weighted_average"


def test_competency_standard_has_no_criteria_lists(load_spec: Loader, spec: dict[str, Any]):
    spec["scheme"] = "competency"
    spec["methods"] = []
    for module in spec["sections"][0]["modules"]:
        module["methods"] = []
    error = error_of(load_spec, spec)
    assert error.field == "sections[0].modules[0].pass_criteria"


def test_extension_fields_hold_anchors() -> None:
    # Top-level "x-" keys are ignored, so shared text can be written once as an anchor.
    text = Path(bundled_files()[0]).read_text(encoding="utf-8")
    assert "x-showcase-reasons:" in text
    assert load_text(text, "st0072-ap02.yaml").key == "ST0072/AP02"


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(StandardFileError, match=r"^missing\.yaml: \(file\): cannot read it"):
        load_file(tmp_path / "missing.yaml")
