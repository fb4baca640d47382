"""Off-the-job training funding rules and activity kinds, read from the YAML files beside this
module (``rules/*.yaml``). Pure: no Flask, no SQL.

Each jurisdiction's file lists academic years (1 August to 31 July) by the start dates they
cover; an apprenticeship follows the entry holding its start date for its whole programme.
A standard missing from the entry has no published minimum here (``minimum_hours`` None), and a
jurisdiction with no entry has no rule at all (TLII4001, Australia): the checks then say
"not applicable" instead of inventing one.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

RULES_DIR = Path(__file__).parent / "rules"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Transitional(_Model):
    """A lower minimum for starts within a window (the 2025-26 rules' first four months)."""

    starts_from: dt.date
    starts_to: dt.date
    minimum_hours: int = Field(ge=0)


class StandardMinimum(_Model):
    #: The published minimum off-the-job hours; None when not (yet) recorded here.
    minimum_hours: int | None = Field(default=None, ge=0)
    #: False when the figure (or its absence) has not been checked against the published list.
    verified: bool = False
    note: str = ""
    transitional: tuple[Transitional, ...] = ()


class AcademicYear(_Model):
    key: str
    starts_from: dt.date
    starts_to: dt.date
    #: False for an entry not checked against the published rules (shown as such).
    verified: bool
    #: The entry this one repeats, when its own year's rules were not yet checked.
    carried_forward_from: str | None = None
    rule: Literal["minimum_hours_per_standard", "share_of_paid_hours"]
    summary: str
    min_duration_months: int = Field(ge=1)
    active_learning_every_month: bool
    under_delivery_statement: bool
    rpl_floor_hours: int | None = None
    rpl_floor_verified: bool = False
    standards: dict[str, StandardMinimum] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _dates_in_order(self) -> AcademicYear:
        if self.starts_to < self.starts_from:
            raise ValueError(f"{self.key}: starts_to is before starts_from")
        return self


class RulesFile(_Model):
    jurisdiction: str
    reflects: str
    source: str
    academic_years: tuple[AcademicYear, ...] = ()

    @model_validator(mode="after")
    def _no_overlaps(self) -> RulesFile:
        years = sorted(self.academic_years, key=lambda y: y.starts_from)
        for earlier, later in itertools.pairwise(years):
            if later.starts_from <= earlier.starts_to:
                raise ValueError(f"academic years {earlier.key} and {later.key} overlap")
        return self


class ActivityKind(_Model):
    key: str = Field(pattern=r"^[a-z_]{1,40}$")
    label: str
    active_learning: bool


class KindsFile(_Model):
    kinds: tuple[ActivityKind, ...]


@functools.cache
def rules_files(directory: Path = RULES_DIR) -> dict[str, RulesFile]:
    """Every jurisdiction's rules file, by jurisdiction (validated; cached)."""
    files = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "activity_kinds.yaml":
            continue
        parsed = RulesFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        files[parsed.jurisdiction] = parsed
    return files


@functools.cache
def activity_kinds(directory: Path = RULES_DIR) -> dict[str, ActivityKind]:
    """The activity kinds an apprentice can choose, by key, in the file's order."""
    raw = yaml.safe_load((directory / "activity_kinds.yaml").read_text(encoding="utf-8"))
    return {k.key: k for k in KindsFile.model_validate(raw).kinds}


def active_kinds() -> frozenset[str]:
    """The kinds that count as active learning for the monthly check."""
    return frozenset(k for k, kind in activity_kinds().items() if kind.active_learning)


def kind_label(key: str) -> str:
    """A kind's label; an unknown key (a kind since removed from the file) reads as itself."""
    kind = activity_kinds().get(key)
    return kind.label if kind else key.replace("_", " ").capitalize()


@functools.cache
def academic_year_of(day: dt.date) -> str:
    """``2025-26`` for any day from 1 August 2025 to 31 July 2026."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


class AppliedRule(_Model):
    """What the rules say about one apprenticeship: its jurisdiction, standard and start date."""

    jurisdiction: str
    reflects: str
    source: str
    #: None when no rule applies (no entry covers the start date, or the jurisdiction has none).
    year: AcademicYear | None
    #: The published minimum for this standard and start date; None when unknown or none.
    minimum_hours: int | None
    minimum_verified: bool
    minimum_note: str

    @property
    def applies(self) -> bool:
        return self.year is not None

    @property
    def min_duration_months(self) -> int | None:
        return self.year.min_duration_months if self.year else None

    @property
    def monthly_check(self) -> bool:
        return bool(self.year and self.year.active_learning_every_month)

    @property
    def statement_required(self) -> bool:
        return bool(self.year and self.year.under_delivery_statement)


def rule_for(
    jurisdiction: str, standard_code: str, start: dt.date, directory: Path = RULES_DIR
) -> AppliedRule:
    """The funding rule an apprenticeship on ``standard_code`` starting on ``start`` follows."""
    file = rules_files(directory).get(jurisdiction)
    if file is None:
        return AppliedRule(
            jurisdiction=jurisdiction,
            reflects="No rules file for this jurisdiction",
            source="",
            year=None,
            minimum_hours=None,
            minimum_verified=False,
            minimum_note=f"Showcase holds no off-the-job training rules for {jurisdiction}.",
        )
    year = next((y for y in file.academic_years if y.starts_from <= start <= y.starts_to), None)
    standard = year.standards.get(standard_code) if year else None
    minimum = standard.minimum_hours if standard else None
    if standard is not None:
        for window in standard.transitional:
            if window.starts_from <= start <= window.starts_to:
                minimum = window.minimum_hours
    if year is None:
        note = (
            file.reflects
            if not file.academic_years
            else f"No rule in the file covers a start on {start:%-d %B %Y}."
        )
    elif standard is None:
        note = f"The rules file records no minimum for {standard_code}."
    else:
        note = standard.note
    return AppliedRule(
        jurisdiction=jurisdiction,
        reflects=file.reflects,
        source=file.source,
        year=year,
        minimum_hours=minimum,
        minimum_verified=bool(standard and standard.verified),
        minimum_note=note.strip(),
    )
