"""Fixtures for the standards tests: the bundled files and small made-up standards."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from showcase.standards import StandardDoc, bundled_docs, load_text


def example_spec() -> dict[str, Any]:
    """A made-up three-method standard whose counts put every threshold on a boundary.

    test: 10 distinction criteria at 0.70 (7 needed); project: 10 at 0.30 (3 needed; 0.3 * 10
    is 3.0000000000000004 in floats); interview: 4 at 0.75 (3 needed).
    """

    def criteria(prefix: str, n: int) -> list[dict[str, str]]:
        return [
            {"key": f"{prefix}-{i}", "text": f"{prefix} criterion {i}"} for i in range(1, n + 1)
        ]

    def module(key: str, method: str, passes: int, distinctions: int) -> dict[str, Any]:
        return {
            "key": key,
            "title": key.title(),
            "methods": [method],
            "statements": [
                {
                    "number": "1",
                    "text": f"Know {key}",
                    "items": [{"number": "1.1", "text": "Do it"}],
                }
            ],
            "pass_criteria": criteria("pass", passes),
            "distinction_criteria": criteria("distinction", distinctions),
        }

    return {
        "schema_version": 1,
        "code": "XS0001",
        "version": "V1",
        "title": "Example Practitioner",
        "jurisdiction": "Nowhere",
        "level": 3,
        "scheme": "pass_distinction",
        "source": {"document": "A made-up plan for tests"},
        "sections": [
            {
                "key": "knowledge",
                "title": "Knowledge",
                "modules": [
                    module("rules", "test", 2, 10),
                    module("craft", "project", 1, 10),
                    module("talk", "interview", 1, 4),
                ],
            }
        ],
        "methods": [
            {"key": "test", "title": "Test", "weight_percent": 50, "distinction_threshold": 0.7},
            {
                "key": "project",
                "title": "Project",
                "weight_percent": 30,
                "distinction_threshold": 0.3,
            },
            {
                "key": "interview",
                "title": "Interview",
                "weight_percent": 20,
                "distinction_threshold": 0.75,
                "distinction_count_stated": {"required": 3, "of": 4},
            },
        ],
        "plan": {
            "overall_rule": "each_method",
            "weighted_average": {"distinction_cutoff": 1.5, "text": "pass 1, distinction 2"},
            "showcase_areas": ["rules"],
        },
        "sufficiency": {"min_accepted": 1, "min_third_party": 0},
    }


@pytest.fixture(scope="session")
def st0072() -> StandardDoc:
    return bundled_docs()["ST0072/AP02"]


@pytest.fixture(scope="session")
def tlii4001() -> StandardDoc:
    return bundled_docs()["TLII4001/release-unstated"]


@pytest.fixture(scope="session")
def example() -> StandardDoc:
    return load_text(yaml.safe_dump(example_spec(), sort_keys=False), "example.yaml")


@pytest.fixture
def spec() -> dict[str, Any]:
    """A fresh, valid spec to break in one place."""
    return copy.deepcopy(example_spec())


@pytest.fixture
def load_spec() -> Callable[..., StandardDoc]:
    def load(data: dict[str, Any], filename: str = "example.yaml") -> StandardDoc:
        return load_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), filename)

    return load
