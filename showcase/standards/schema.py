"""The standards data-file format (pydantic models) and the read-only ``StandardDoc`` API.

A standard is data: one YAML file per standard version, validated by the models below. Nothing
here knows any particular standard; a new standard is a new file.

Two kinds of reference come out of a file, both derived from keys written in the file (never
from positions), so they survive re-import and re-ordering:

- a **unit** is what evidence is tagged to: ``<code>/<module key>/<item number>``;
- a **criterion** is what an assessor judges: ``<code>/<module key>/<criterion key>``.

In a ``pass_distinction`` scheme the criteria are the modules' pass and distinction criteria (or
their standard statements, where a module says ``statements_as_pass_criteria``). In a
``competency`` scheme every unit is also judged met or not met, as a criterion whose ref is
``<code>/<module key>/met-<item number>`` and whose ``unit_ref`` points back to the unit. A ref
names exactly one thing, so units and criteria can share one table of references.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator

SCHEMA_VERSION = 1

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")]
#: Item and statement numbers as printed: "1", "1.1", "PE1". Always quoted in YAML ("1.10").
Number = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*$")]
#: Codes and versions end up inside refs and URLs, so no slashes or spaces.
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

Scheme = Literal["pass_distinction", "competency"]
OverallRule = Literal["each_method", "weighted_average"]
CriterionLevel = Literal["pass", "distinction"]
#: criterion: a criterion cell of the source; standard_statement: a standard statement judged
#: because the criterion cells are missing; unit: a competency unit judged met / not met.
Basis = Literal["criterion", "standard_statement", "unit"]
SourceMark = Literal["recovered"]
GapKind = Literal["gap", "uncertain"]


class _Model(BaseModel):
    # Frozen with tuples for lists: a parsed standard is shared (cached) and must not change.
    model_config = ConfigDict(extra="forbid", frozen=True)


class StandardDataError(Exception):
    """Cross-field problems in a standard file; deliberately not a ValueError.

    Pydantic wraps ValueError into a ValidationError located at the model's root, losing the
    field path; any other exception passes through, so the loader can name the field.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {problem}" for path, problem in problems))
        self.problems = problems
        self.field, self.problem = problems[0]


# --------------------------------------------------------------------------- file format


class Gap(_Model):
    """Something the source lacks (``gap``) or that was read with doubt (``uncertain``)."""

    field: Text
    reason: Text
    kind: GapKind = "gap"
    #: Source text the gap concerns, when there is some (e.g. an unplaced fragment).
    text: Text | None = None


class Sufficiency(_Model):
    """How much accepted, tagged evidence a unit needs before it counts as covered."""

    min_accepted: int = Field(ge=0)
    min_third_party: int = Field(ge=0)
    #: Evidence kinds that count as third-party (someone other than the apprentice).
    third_party_kinds: tuple[Slug, ...] = ()


class SufficiencyOverride(_Model):
    """Per-module or per-item changes to the file's default sufficiency rule."""

    min_accepted: int | None = Field(default=None, ge=0)
    min_third_party: int | None = Field(default=None, ge=0)
    third_party_kinds: tuple[Slug, ...] | None = None

    def apply(self, rule: Sufficiency) -> Sufficiency:
        """The rule with this override's set fields replaced."""
        changes = {k: v for k, v in self.model_dump(exclude_none=True).items()}
        if "third_party_kinds" in changes:
            changes["third_party_kinds"] = tuple(changes["third_party_kinds"])
        return rule.model_copy(update=changes)


class ItemSpec(_Model):
    number: Number
    text: Text
    #: Bullet sub-points that belong to the item's text.
    points: tuple[Text, ...] = ()
    #: Applies only in this context (see StandardDoc.contexts), e.g. face-to-face.
    context: Slug | None = None
    uncertain: Text | None = None
    source: SourceMark | None = None
    note: Text | None = None
    sufficiency: SufficiencyOverride | None = None


class StatementSpec(_Model):
    number: Number
    text: Text
    points: tuple[Text, ...] = ()
    items: tuple[ItemSpec, ...] = Field(min_length=1)
    uncertain: Text | None = None
    source: SourceMark | None = None
    note: Text | None = None


class CriterionSpec(_Model):
    key: Slug
    text: Text
    #: The method that judges it; may be left out when the module has exactly one method.
    method: Slug | None = None
    context: Slug | None = None
    uncertain: Text | None = None
    source: SourceMark | None = None
    note: Text | None = None
    #: Whose criterion this is when an assessment organisation's supplement adds it, e.g.
    #: "criteria of Example EPA, not of the plan (supplement version 2)". Only a document merged
    #: by showcase.standards.supplements sets it; a plan's own file may not.
    supplement: Text | None = None


class ModuleSpec(_Model):
    key: Slug
    title: Text
    #: Printed number (e.g. an element's "1"); items must then be numbered "1.x".
    number: Number | None = None
    intro: Text | None = None
    title_uncertain: Text | None = None
    methods: tuple[Slug, ...] = ()
    methods_source: SourceMark | None = None
    methods_uncertain: Text | None = None
    methods_note: Text | None = None
    statements: tuple[StatementSpec, ...] = ()
    #: Items directly under the module, for sources without standard statements.
    items: tuple[ItemSpec, ...] = ()
    pass_criteria: tuple[CriterionSpec, ...] = ()
    distinction_criteria: tuple[CriterionSpec, ...] = ()
    #: When the source's pass criteria are missing: judge each standard statement instead.
    #: The value is the reason, shown with every criterion it produces.
    statements_as_pass_criteria: Text | None = None
    gaps: tuple[Gap, ...] = ()
    sufficiency: SufficiencyOverride | None = None
    note: Text | None = None


class Section(_Model):
    key: Slug
    title: Text
    heading: Text | None = None
    modules: tuple[ModuleSpec, ...] = Field(min_length=1)


class StatedCount(_Model):
    """A count the source states, e.g. "4 of 5 distinction criteria", checked against the data."""

    required: int = Field(ge=0)
    of: int = Field(ge=1)


class Method(_Model):
    """An assessment method, e.g. Practical Observation (20%)."""

    key: Slug
    title: Text
    weight_percent: int = Field(ge=0, le=100)
    duration: Text | None = None
    pass_rule_text: Text | None = None
    #: Share of the method's distinction criteria needed for a distinction (0 < t <= 1).
    distinction_threshold: float | None = None
    distinction_rule_text: Text | None = None
    grading_table_text: Text | None = None
    distinction_count_stated: StatedCount | None = None
    #: Why a distinction cannot be computed from the data (its criteria are missing).
    distinction_gap: Text | None = None
    uncertain: Text | None = None
    note: Text | None = None

    @property
    def distinction_fraction(self) -> Fraction | None:
        """The threshold as an exact fraction: 0.7 is 7/10, not 0.69999…."""
        if self.distinction_threshold is None:
            return None
        # Via the shortest repr, which is what the file says ("0.70" -> "0.7" -> 7/10).
        return Fraction(repr(self.distinction_threshold))

    def distinction_required(self, total: int) -> int | None:
        """How many of ``total`` distinction criteria a distinction needs (exact arithmetic)."""
        threshold = self.distinction_fraction
        if threshold is None or total == 0:
            return None
        return math.ceil(threshold * total)


class Context(_Model):
    key: Slug
    title: Text
    note: Text | None = None


class SourceInfo(_Model):
    document: Text
    copyright: Text | None = None
    licence: Text | None = None
    licence_url: Text | None = None
    url: Text | None = None
    notes: Text | None = None


class Reading(_Model):
    """One reading of a self-contradicting source, e.g. of how the overall grade is formed."""

    rule: OverallRule
    source: Text
    text: Text


class WeightedAverage(_Model):
    """Settings for ``overall_rule: weighted_average``; see ``text`` for the exact rule."""

    pass_points: int = 1
    distinction_points: int = 2
    #: A score at or above this is a distinction.
    distinction_cutoff: float
    text: Text

    @property
    def cutoff_fraction(self) -> Fraction:
        """The cut-off as an exact fraction."""
        return Fraction(repr(self.distinction_cutoff))


class Signoff(_Model):
    role: Slug
    required: bool
    wording: Text


class Rule(_Model):
    """An independence or quality-assurance requirement."""

    key: Slug
    source: Text
    text: Text
    #: True when Showcase checks it (see ``app_meaning``); otherwise people attest to it.
    enforced_by_app: bool = False
    app_meaning: Text | None = None


class Role(_Model):
    role: Text
    responsibilities: tuple[Text, ...] = ()
    note: Text | None = None


class Plan(_Model):
    """The assessment plan: grading rules, reviews, gateway, areas, independence, IQA."""

    pass_rule: Literal["all_pass_criteria"] | None = None
    pass_rule_text: Text | None = None
    grading_table_text: Text | None = None
    overall_rule: OverallRule | None = None
    overall_rule_reason: Text | None = None
    overall_readings: tuple[Reading, ...] = ()
    weighted_average: WeightedAverage | None = None
    review_points_months: tuple[int, ...] = ()
    review_points_text: Text | None = None
    gateway_min_months: int | None = Field(default=None, ge=0)
    gateway_text: Text | None = None
    gateway_signoffs: tuple[Signoff, ...] = ()
    showcase_areas: tuple[Slug, ...] = ()
    showcase_areas_text: Text | None = None
    showcase_evidence_text: Text | None = None
    observation_mandatory_areas: tuple[Slug, ...] = ()
    observation_mandatory_text: Text | None = None
    independence: tuple[Rule, ...] = ()
    iqa: tuple[Rule, ...] = ()
    resit_text: Text | None = None
    roles: tuple[Role, ...] = ()

    def rule(self, key: str) -> Rule:
        """An independence or IQA rule by key."""
        for rule in (*self.independence, *self.iqa):
            if rule.key == key:
                return rule
        raise KeyError(key)


class TextBlock(_Model):
    """A titled passage of the source shown as is (application, assessment conditions…)."""

    key: Slug
    title: Text
    paragraphs: tuple[Text, ...] = ()
    points: tuple[Text, ...] = ()
    uncertain: Text | None = None
    note: Text | None = None


# ------------------------------------------------------------------- normalised read API


@dataclass(frozen=True, slots=True)
class Unit:
    """Something evidence is tagged to (an ST0072 numbered item, a TLII4001 criterion)."""

    ref: str
    module_key: str
    module_title: str
    section_key: str
    number: str
    #: Full text, bullet sub-points included (one "• point" per line).
    text: str
    #: The parent standard statement's text, if the unit sits under one.
    statement: str | None
    statement_number: str | None
    points: tuple[str, ...]
    context: str | None
    uncertain: str | None
    source: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Statement:
    number: str
    text: str
    points: tuple[str, ...]
    units: tuple[Unit, ...]
    uncertain: str | None
    source: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Criterion:
    """Something an assessor judges met or not met."""

    ref: str
    key: str
    method_key: str | None
    level: CriterionLevel
    module_key: str
    text: str
    basis: Basis
    uncertain: str | None
    source: str | None
    note: str | None = None
    context: str | None = None
    #: The unit this criterion judges (competency scheme), else None.
    unit_ref: str | None = None
    #: Whose criterion it is when a supplement adds it (not the plan's); None for the plan's own.
    supplement: str | None = None


@dataclass(frozen=True, slots=True)
class Module:
    key: str
    title: str
    number: str | None
    section_key: str
    section_title: str
    intro: str | None
    methods: tuple[str, ...]
    statements: tuple[Statement, ...]
    units: tuple[Unit, ...]
    pass_criteria: tuple[Criterion, ...]
    distinction_criteria: tuple[Criterion, ...]
    gaps: tuple[Gap, ...]
    title_uncertain: str | None
    methods_source: str | None
    methods_uncertain: str | None
    methods_note: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class GapNote:
    """A recorded gap or uncertainty, located for display."""

    #: A ref ("ST0072/communication/pass-5"), a module ("ST0072/communication"), the document
    #: key ("ST0072/AP02") or a method ("ST0072/AP02 method showcase").
    where: str
    field: str
    kind: GapKind
    reason: str
    text: str | None = None


@dataclass(slots=True)
class _Index:
    modules: list[Module] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    criteria: list[Criterion] = field(default_factory=list)
    module_by_key: dict[str, Module] = field(default_factory=dict)
    unit_by_ref: dict[str, Unit] = field(default_factory=dict)
    criterion_by_ref: dict[str, Criterion] = field(default_factory=dict)
    sufficiency_by_ref: dict[str, Sufficiency] = field(default_factory=dict)


def _full_text(text: str, points: tuple[str, ...]) -> str:
    return "\n".join([text, *(f"• {p}" for p in points)])


class SupplementSource(_Model):
    """Set on a document merged with an assessment organisation's supplement: whose it is."""

    organisation: Text
    version: int = Field(ge=1)
    title: Text
    illustrative: bool = False

    @property
    def label(self) -> str:
        """e.g. "criteria of Example EPA, not of the plan (supplement version 2)"."""
        label = (
            f"criteria of {self.organisation}, not of the plan (supplement version {self.version})"
        )
        if self.illustrative:
            label += " — an illustrative example, not a real organisation's criteria"
        return label


class StandardDoc(_Model):
    """One standard version: the validated file plus a read-only API over it."""

    schema_version: Literal[1]
    code: Code
    version: Code
    title: Text
    jurisdiction: Text
    level: int | None = Field(ge=1)
    scheme: Scheme
    source: SourceInfo
    #: The restatement that ``source: recovered`` entries come from.
    recovered_from: Text | None = None
    grading_text: Text | None = None
    contexts: tuple[Context, ...] = ()
    about: tuple[TextBlock, ...] = ()
    sections: tuple[Section, ...] = Field(min_length=1)
    methods: tuple[Method, ...] = ()
    plan: Plan = Plan()
    sufficiency: Sufficiency
    #: The file's top-level ``gaps:`` (renamed here because ``gaps()`` lists every gap).
    file_gaps: tuple[Gap, ...] = Field(default=(), alias="gaps")
    #: Set only on a document merged with a supplement (showcase.standards.supplements).
    supplement: SupplementSource | None = None

    # populate_by_name: model_dump_json() writes "file_gaps", which must validate back.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _index: _Index = PrivateAttr(default_factory=_Index)

    @model_validator(mode="after")
    def _check_and_index(self) -> StandardDoc:
        index, problems = _build_index(self)
        if problems:
            raise StandardDataError(problems)
        self._index = index
        return self

    # -- identity

    @property
    def key(self) -> str:
        """``code/version``, e.g. ``ST0072/AP02``."""
        return f"{self.code}/{self.version}"

    # -- structure

    def units(self) -> list[Unit]:
        """Everything evidence can be tagged to, in document order."""
        return list(self._index.units)

    def unit(self, ref: str) -> Unit:
        """A unit by ref (KeyError if unknown)."""
        return self._index.unit_by_ref[ref]

    def modules(self) -> list[Module]:
        """Modules (ST0072 modules, TLII4001 elements and evidence lists) in document order."""
        return list(self._index.modules)

    def module(self, key: str) -> Module:
        """A module by key (KeyError if unknown)."""
        return self._index.module_by_key[key]

    def criteria(self, method_key: str | None = None) -> list[Criterion]:
        """Assessed criteria in document order, optionally only one method's."""
        if method_key is None:
            return list(self._index.criteria)
        return [c for c in self._index.criteria if c.method_key == method_key]

    def criterion(self, ref: str) -> Criterion:
        """A criterion by ref (KeyError if unknown)."""
        return self._index.criterion_by_ref[ref]

    def method(self, key: str) -> Method:
        """An assessment method by key (KeyError if unknown)."""
        for method in self.methods:
            if method.key == key:
                return method
        raise KeyError(key)

    def text_block(self, key: str) -> TextBlock:
        """An ``about`` passage by key (KeyError if unknown)."""
        for block in self.about:
            if block.key == key:
                return block
        raise KeyError(key)

    def sufficiency_for(self, unit_ref: str) -> Sufficiency:
        """The effective sufficiency rule of a unit: file default, then module, then item."""
        return self._index.sufficiency_by_ref[unit_ref]

    # -- provenance

    def gaps(self) -> list[GapNote]:
        """Every gap and uncertainty the file records, with where it is, in document order."""
        notes = [GapNote(self.key, g.field, g.kind, g.reason, g.text) for g in self.file_gaps]
        for m in self.methods:
            where = f"{self.key} method {m.key}"
            if m.distinction_gap:
                notes.append(GapNote(where, "distinction_criteria", "gap", m.distinction_gap))
            if m.uncertain:
                notes.append(GapNote(where, "method", "uncertain", m.uncertain))
        for block in self.about:
            if block.uncertain:
                notes.append(
                    GapNote(f"{self.key} {block.key}", "text", "uncertain", block.uncertain)
                )
        for module in self._index.modules:
            notes.extend(_module_gaps(self.code, module))
        return notes


def _module_gaps(code: str, module: Module) -> list[GapNote]:
    """The gaps and uncertainties of one module and what is in it, in document order."""
    where = f"{code}/{module.key}"
    notes: list[GapNote] = []
    if module.title_uncertain:
        notes.append(GapNote(where, "title", "uncertain", module.title_uncertain))
    if module.methods_uncertain:
        notes.append(GapNote(where, "methods", "uncertain", module.methods_uncertain))
    notes.extend(GapNote(where, g.field, g.kind, g.reason, g.text) for g in module.gaps)
    for statement in module.statements:
        if statement.uncertain:
            field_name = f"statement {statement.number}"
            notes.append(GapNote(where, field_name, "uncertain", statement.uncertain))
    for unit in module.units:
        if unit.uncertain:
            notes.append(GapNote(unit.ref, "text", "uncertain", unit.uncertain))
    for criterion in (*module.pass_criteria, *module.distinction_criteria):
        # Statement-based criteria repeat their module's gap; list each gap once.
        if criterion.uncertain and criterion.basis == "criterion":
            notes.append(GapNote(criterion.ref, "text", "uncertain", criterion.uncertain))
    return notes


# ------------------------------------------------------------------- validation + index


def _build_index(doc: StandardDoc) -> tuple[_Index, list[tuple[str, str]]]:
    """Check what field types cannot, and build the lookup tables; problems are (path, text)."""
    problems: list[tuple[str, str]] = []
    index = _Index()
    method_keys = _check_methods(doc, problems)
    context_keys = _unique_keys("contexts", [c.key for c in doc.contexts], problems)
    _unique_keys("about", [b.key for b in doc.about], problems)
    ref_paths: dict[str, str] = {}
    section_paths: dict[str, str] = {}

    def claim(ref: str, path: str) -> None:
        if ref in ref_paths:
            problems.append((path, f"duplicate reference {ref} (also at {ref_paths[ref]})"))
        else:
            ref_paths[ref] = path

    def check_context(context: str | None, path: str) -> None:
        if context is not None and context not in context_keys:
            known = ", ".join(sorted(context_keys)) or "none are defined"
            problems.append((path, f"unknown context {context!r} (contexts: {known})"))

    for si, section in enumerate(doc.sections):
        spath = f"sections[{si}]"
        if section.key in section_paths:
            problems.append((f"{spath}.key", f"duplicate section key {section.key!r}"))
        section_paths.setdefault(section.key, spath)
        for mi, spec in enumerate(section.modules):
            mpath = f"{spath}.modules[{mi}]"
            if spec.key in index.module_by_key:
                problems.append((f"{mpath}.key", f"duplicate module key {spec.key!r}"))
                continue
            module = _build_module(
                doc, section, spec, mpath, method_keys, claim, check_context, problems, index
            )
            index.modules.append(module)
            index.module_by_key[module.key] = module
            index.units.extend(module.units)
            index.criteria.extend((*module.pass_criteria, *module.distinction_criteria))

    index.unit_by_ref = {u.ref: u for u in index.units}
    index.criterion_by_ref = {c.ref: c for c in index.criteria}
    _check_method_criteria(doc, index, problems)
    _check_plan(doc, index, problems)
    if doc.sufficiency.min_third_party > 0 and not doc.sufficiency.third_party_kinds:
        problems.append(
            ("sufficiency.third_party_kinds", "min_third_party needs at least one evidence kind")
        )
    return index, problems


def _unique_keys(path: str, keys: list[str], problems: list[tuple[str, str]]) -> set[str]:
    seen: set[str] = set()
    for i, key in enumerate(keys):
        if key in seen:
            problems.append((f"{path}[{i}].key", f"duplicate key {key!r}"))
        seen.add(key)
    return seen


def _check_methods(doc: StandardDoc, problems: list[tuple[str, str]]) -> set[str]:
    keys = _unique_keys("methods", [m.key for m in doc.methods], problems)
    for i, method in enumerate(doc.methods):
        threshold = method.distinction_threshold
        if threshold is not None and not 0 < threshold <= 1:
            problems.append(
                (
                    f"methods[{i}].distinction_threshold",
                    f"threshold {threshold:g} is outside 0 to 1 (more than 0, at most 1)",
                )
            )
    if doc.scheme == "competency":
        if doc.methods:
            problems.append(
                ("methods", "a competency standard has no assessment methods; every unit is judged")
            )
        return keys
    if not doc.methods:
        problems.append(("methods", "a pass_distinction standard needs at least one method"))
        return keys
    total = sum(m.weight_percent for m in doc.methods)
    if total != 100:
        problems.append(
            (
                f"methods[{len(doc.methods) - 1}].weight_percent",
                f"weights sum to {total}%, they must sum to 100%",
            )
        )
    return keys


def _build_module(
    doc: StandardDoc,
    section: Section,
    spec: ModuleSpec,
    mpath: str,
    method_keys: set[str],
    claim: Callable[[str, str], None],
    check_context: Callable[[str | None, str], None],
    problems: list[tuple[str, str]],
    index: _Index,
) -> Module:
    build = _ModuleBuild(doc, section, spec, mpath, claim, check_context, problems, index)
    build.check_methods(method_keys)
    if not spec.statements and not spec.items:
        problems.append((mpath, "module has no items: give it statements with items, or items"))

    statements = build.statements()
    direct = tuple(
        build.unit(item, f"{mpath}.items[{ii}]", None) for ii, item in enumerate(spec.items)
    )
    all_units = tuple(u for s in statements for u in s.units) + direct

    distinction_criteria: list[Criterion] = []
    if doc.scheme == "competency":
        pass_criteria = build.unit_criteria(all_units)
    else:
        pass_criteria, distinction_criteria = build.method_criteria(statements)

    return Module(
        key=spec.key,
        title=spec.title,
        number=spec.number,
        section_key=section.key,
        section_title=section.title,
        intro=spec.intro,
        methods=spec.methods,
        statements=tuple(statements),
        units=all_units,
        pass_criteria=tuple(pass_criteria),
        distinction_criteria=tuple(distinction_criteria),
        gaps=spec.gaps,
        title_uncertain=spec.title_uncertain,
        methods_source=spec.methods_source,
        methods_uncertain=spec.methods_uncertain,
        methods_note=spec.methods_note,
        note=spec.note,
    )


@dataclass
class _ModuleBuild:
    """One module's spec turned into units and criteria; what it finds wrong goes into
    ``problems`` in document order, and refs are claimed through the file-wide ``claim``."""

    doc: StandardDoc
    section: Section
    spec: ModuleSpec
    mpath: str
    claim: Callable[[str, str], None]
    check_context: Callable[[str | None, str], None]
    problems: list[tuple[str, str]]
    index: _Index
    #: The file's sufficiency rule with the module's override applied.
    module_rule: Sufficiency = field(init=False)
    #: The method that judges a criterion which names none (only when there is just one).
    single: str | None = field(init=False)

    def __post_init__(self) -> None:
        spec, doc = self.spec, self.doc
        self.module_rule = (
            spec.sufficiency.apply(doc.sufficiency) if spec.sufficiency else doc.sufficiency
        )
        self.single = spec.methods[0] if len(spec.methods) == 1 else None

    def check_methods(self, method_keys: set[str]) -> None:
        for k, method in enumerate(self.spec.methods):
            if method not in method_keys:
                known = ", ".join(sorted(method_keys)) or "none are defined"
                self.problems.append(
                    (f"{self.mpath}.methods[{k}]", f"unknown method {method!r} (methods: {known})")
                )

    # -- units

    def statements(self) -> list[Statement]:
        statements: list[Statement] = []
        statement_numbers: set[str] = set()
        for ti, st in enumerate(self.spec.statements):
            tpath = f"{self.mpath}.statements[{ti}]"
            if st.number in statement_numbers:
                self.problems.append((f"{tpath}.number", f"duplicate statement number {st.number}"))
            statement_numbers.add(st.number)
            units = tuple(
                self.unit(item, f"{tpath}.items[{ii}]", st) for ii, item in enumerate(st.items)
            )
            statements.append(
                Statement(
                    number=st.number,
                    text=_full_text(st.text, st.points),
                    points=st.points,
                    units=units,
                    uncertain=st.uncertain,
                    source=st.source,
                    note=st.note,
                )
            )
        return statements

    def unit(self, item: ItemSpec, ipath: str, parent: StatementSpec | None) -> Unit:
        doc, spec = self.doc, self.spec
        prefix = parent.number if parent else spec.number
        if prefix is not None and not item.number.startswith(f"{prefix}."):
            where = f"statement {prefix}" if parent else f"module number {prefix}"
            self.problems.append((f"{ipath}.number", f"item {item.number} is under {where}"))
        self.check_context(item.context, f"{ipath}.context")
        ref = f"{doc.code}/{spec.key}/{item.number}"
        self.claim(ref, f"{ipath}.number")
        rule = item.sufficiency.apply(self.module_rule) if item.sufficiency else self.module_rule
        self.index.sufficiency_by_ref[ref] = rule
        return Unit(
            ref=ref,
            module_key=spec.key,
            module_title=spec.title,
            section_key=self.section.key,
            number=item.number,
            text=_full_text(item.text, item.points),
            statement=_full_text(parent.text, parent.points) if parent else None,
            statement_number=parent.number if parent else None,
            points=item.points,
            context=item.context,
            uncertain=item.uncertain,
            source=item.source,
            note=item.note,
        )

    # -- criteria

    def unit_criteria(self, units: tuple[Unit, ...]) -> list[Criterion]:
        """A competency module: every unit is judged, as a criterion with its own ref
        ("met-1.1") linked to the unit."""
        doc, spec = self.doc, self.spec
        for name in ("pass_criteria", "distinction_criteria", "statements_as_pass_criteria"):
            if getattr(spec, name):
                self.problems.append(
                    (f"{self.mpath}.{name}", "a competency standard judges its units; remove this")
                )
        criteria = [
            Criterion(
                ref=f"{doc.code}/{spec.key}/met-{u.number}",
                key=f"met-{u.number}",
                method_key=None,
                level="pass",
                module_key=spec.key,
                text=u.text,
                basis="unit",
                uncertain=u.uncertain,
                source=u.source,
                note=u.note,
                context=u.context,
                unit_ref=u.ref,
            )
            for u in units
        ]
        for criterion in criteria:
            self.claim(criterion.ref, f"{self.mpath} (criterion judging {criterion.unit_ref})")
        return criteria

    def method_criteria(
        self, statements: list[Statement]
    ) -> tuple[list[Criterion], list[Criterion]]:
        """A pass_distinction module: its pass and distinction criteria, the pass ones
        followed by its statements when it judges those instead."""
        spec, mpath = self.spec, self.mpath
        pass_criteria = [
            self.criterion(c, "pass", f"{mpath}.pass_criteria[{i}]")
            for i, c in enumerate(spec.pass_criteria)
        ]
        distinction_criteria = [
            self.criterion(c, "distinction", f"{mpath}.distinction_criteria[{i}]")
            for i, c in enumerate(spec.distinction_criteria)
        ]
        if spec.statements_as_pass_criteria is not None:
            pass_criteria.extend(self.statement_criteria(statements))
        return pass_criteria, distinction_criteria

    def criterion(self, c: CriterionSpec, level: CriterionLevel, cpath: str) -> Criterion:
        spec = self.spec
        method = c.method or self.single
        if c.method is not None and c.method not in spec.methods:
            self.problems.append(
                (
                    f"{cpath}.method",
                    f"unknown method {c.method!r} for this module "
                    f"(module methods: {', '.join(spec.methods) or 'none'})",
                )
            )
        elif method is None:
            self.problems.append(
                (
                    f"{cpath}.method",
                    f"the module has {len(spec.methods)} methods; "
                    "say which one judges this criterion",
                )
            )
        self.check_context(c.context, f"{cpath}.context")
        ref = f"{self.doc.code}/{spec.key}/{c.key}"
        self.claim(ref, f"{cpath}.key")
        return Criterion(
            ref=ref,
            key=c.key,
            method_key=method,
            level=level,
            module_key=spec.key,
            text=c.text,
            basis="criterion",
            uncertain=c.uncertain,
            source=c.source,
            note=c.note,
            context=c.context,
            supplement=c.supplement,
        )

    def statement_criteria(self, statements: list[Statement]) -> list[Criterion]:
        """The module's standard statements judged as pass criteria (``statements_as_pass_
        criteria``: the source's criterion cells are missing)."""
        spec, mpath = self.spec, self.mpath
        spath = f"{mpath}.statements_as_pass_criteria"
        # A supplement may add an organisation's pass criteria beside the statements judged in
        # their place; the plan's own file uses one or the other.
        if any(c.supplement is None for c in spec.pass_criteria):
            self.problems.append((spath, "the module already has pass_criteria; use one or other"))
        if not spec.statements:
            self.problems.append((spath, "the module has no statements to judge"))
        if self.single is None:
            self.problems.append((spath, "needs a module with exactly one method"))
        criteria = []
        for ti, st in enumerate(statements):
            key = f"statement-{st.number.replace('.', '-')}".lower()
            ref = f"{self.doc.code}/{spec.key}/{key}"
            self.claim(ref, f"{mpath}.statements[{ti}].number")
            criteria.append(
                Criterion(
                    ref=ref,
                    key=key,
                    method_key=self.single,
                    level="pass",
                    module_key=spec.key,
                    text=st.text,
                    basis="standard_statement",
                    uncertain=spec.statements_as_pass_criteria,
                    source=st.source,
                    note=st.note,
                )
            )
        return criteria


def _check_method_criteria(
    doc: StandardDoc, index: _Index, problems: list[tuple[str, str]]
) -> None:
    for i, method in enumerate(doc.methods):
        path = f"methods[{i}]"
        passes = [c for c in index.criteria if c.method_key == method.key and c.level == "pass"]
        distinctions = [
            c for c in index.criteria if c.method_key == method.key and c.level == "distinction"
        ]
        if not passes:
            problems.append((f"{path}.key", f"no module gives method {method.key!r} pass criteria"))
        if distinctions and method.distinction_threshold is None:
            problems.append(
                (
                    f"{path}.distinction_threshold",
                    f"{len(distinctions)} distinction criteria but no distinction threshold",
                )
            )
        stated = method.distinction_count_stated
        if stated is not None:
            if stated.of != len(distinctions):
                problems.append(
                    (
                        f"{path}.distinction_count_stated.of",
                        f"the source says {stated.required} of {stated.of}, but the file has "
                        f"{len(distinctions)} distinction criteria for {method.key!r}",
                    )
                )
            elif method.distinction_required(stated.of) != stated.required:
                problems.append(
                    (
                        f"{path}.distinction_count_stated.required",
                        f"the threshold {method.distinction_threshold} of {stated.of} needs "
                        f"{method.distinction_required(stated.of)}, not {stated.required}",
                    )
                )


def _check_plan(doc: StandardDoc, index: _Index, problems: list[tuple[str, str]]) -> None:
    plan = doc.plan
    _check_plan_areas(plan, index, problems)
    _unique_keys("plan.independence", [r.key for r in plan.independence], problems)
    _unique_keys("plan.iqa", [r.key for r in plan.iqa], problems)
    for name in ("independence", "iqa"):
        for i, rule in enumerate(getattr(plan, name)):
            if rule.enforced_by_app and not rule.app_meaning:
                problems.append(
                    (f"plan.{name}[{i}].app_meaning", "enforced_by_app needs app_meaning")
                )
    if doc.scheme == "pass_distinction" and plan.overall_rule is None:
        problems.append(
            (
                "plan.overall_rule",
                "required for a pass_distinction standard: each_method or weighted_average",
            )
        )
    if plan.overall_rule == "weighted_average" and plan.weighted_average is None:
        problems.append(("plan.weighted_average", "overall_rule weighted_average needs settings"))
    if plan.weighted_average is not None:
        _check_weighted_average(plan.weighted_average, problems)
    months = plan.review_points_months
    if list(months) != sorted(set(months)) or any(m <= 0 for m in months):
        problems.append(("plan.review_points_months", "must be increasing positive months"))


def _check_plan_areas(plan: Plan, index: _Index, problems: list[tuple[str, str]]) -> None:
    for name in ("showcase_areas", "observation_mandatory_areas"):
        seen: set[str] = set()
        for i, key in enumerate(getattr(plan, name)):
            if key not in index.module_by_key:
                problems.append((f"plan.{name}[{i}]", f"unknown module {key!r}"))
            if key in seen:
                problems.append((f"plan.{name}[{i}]", f"{key!r} is listed twice"))
            seen.add(key)


def _check_weighted_average(wa: WeightedAverage, problems: list[tuple[str, str]]) -> None:
    if not wa.pass_points < wa.distinction_points:
        problems.append(
            ("plan.weighted_average.distinction_points", "must be more than pass_points")
        )
    elif not wa.pass_points <= wa.cutoff_fraction <= wa.distinction_points:
        problems.append(
            (
                "plan.weighted_average.distinction_cutoff",
                f"must lie between pass_points ({wa.pass_points}) and distinction_points "
                f"({wa.distinction_points})",
            )
        )
