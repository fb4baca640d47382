"""An assessment organisation's own criteria for what a plan leaves missing: the supplement file.

End-point assessment organisations publish the grading criteria they use where a plan is silent
(ST0072's showcase has no pass or distinction criteria in any source). A supplement is a small
YAML file for one standard version::

    schema_version: 1
    standard: ST0072/AP02
    title: Showcase distinction criteria
    illustrative: true          # an example, not a real organisation's criteria
    modules:
      - key: understanding-the-organisation
        distinction_criteria:
          - {key: d1, text: "Explains how the brand promise shapes …"}

It may fill **only** what the plan's data marks missing — a module's ``pass_criteria`` or
``distinction_criteria`` recorded as a gap — and nothing else: no threshold, weight, rule or
text of the plan can be given, so none can be changed. The plan's document is never edited:
``apply_supplement`` builds a separate, merged ``StandardDoc`` for grading, in which each added
criterion says whose it is (``Criterion.supplement``) and its ref carries the organisation and
supplement version, so judgements on one version never attach to another's criteria.

Pure: no Flask and no database (the rows are in models.py, the import in services.py).
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

import yaml
from pydantic import Field, StringConstraints, ValidationError

from showcase.standards.files import StandardFileError, _path, _problem, _StrictLoader
from showcase.standards.schema import Slug, StandardDoc, SupplementSource, Text, _Model

#: The label a demo or sample supplement carries, wherever it is shown.
ILLUSTRATIVE_LABEL = "Illustrative example — not a real EPAO's criteria"

Fillable = Literal["pass_criteria", "distinction_criteria"]
FILLABLE: tuple[Fillable, ...] = ("pass_criteria", "distinction_criteria")


class SupplementCriterionSpec(_Model):
    key: Slug
    text: Text
    #: The method that judges it; may be left out when the module has exactly one method.
    method: Slug | None = None
    note: Text | None = None


class SupplementModuleSpec(_Model):
    key: Slug
    pass_criteria: tuple[SupplementCriterionSpec, ...] = ()
    distinction_criteria: tuple[SupplementCriterionSpec, ...] = ()


class SupplementFile(_Model):
    """A validated supplement file."""

    schema_version: Literal[1]
    #: The standard version it is for, ``code/version`` (e.g. ``ST0072/AP02``).
    standard: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$")]
    title: Text
    #: True for an example (the demo's): shown with ILLUSTRATIVE_LABEL everywhere.
    illustrative: bool = False
    note: Text | None = None
    modules: tuple[SupplementModuleSpec, ...] = Field(min_length=1)


class SupplementRefused(StandardFileError):
    """A supplement tries to give what the plan states, or what the plan does not have."""

    code = "supplement_refused"


_NOT_THE_PLAN = (
    "a supplement may give only pass_criteria or distinction_criteria of modules whose criteria "
    "the plan leaves missing; it cannot change what the plan states"
)


def load_supplement(text: str, filename: str) -> SupplementFile:
    """Parse and validate a supplement file's text (StandardFileError naming field and problem)."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise StandardFileError(filename, "(file)", f"invalid YAML: {error}") from error
    if not isinstance(data, dict):
        raise StandardFileError(filename, "(file)", "the top level must be a mapping of fields")
    try:
        return SupplementFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for e in error.errors():
            problem = _problem(e)
            if e["type"] == "extra_forbidden":
                problem = f"unknown field: {_NOT_THE_PLAN}"
            problems.append((_path(e["loc"]), problem))
        raise StandardFileError(filename, *problems[0], problems=problems) from error


def check_supplement(plan: StandardDoc, supplement: SupplementFile, filename: str) -> None:
    """Refuse a supplement that gives anything the plan states or does not have
    (SupplementRefused listing every problem)."""
    problems: list[tuple[str, str]] = []
    if supplement.standard != plan.key:
        problems.append(
            ("standard", f"this supplement is for {supplement.standard}, not {plan.key}")
        )
    filled: dict[str, set[str]] = {}
    for i, spec in enumerate(supplement.modules):
        path = f"modules[{i}]"
        try:
            module = plan.module(spec.key)
        except KeyError:
            problems.append((f"{path}.key", f"{plan.key} has no module {spec.key!r}"))
            continue
        if spec.key in filled:
            problems.append((f"{path}.key", f"module {spec.key!r} is listed twice"))
            continue
        given = {name for name in FILLABLE if getattr(spec, name)}
        filled[spec.key] = given
        if not given:
            problems.append((path, "give pass_criteria or distinction_criteria for the module"))
        missing = {g.field for g in module.gaps if g.kind == "gap"}
        for name in sorted(given):
            if name not in missing:
                problems.append((f"{path}.{name}", _states(module.title, name)))
        problems.extend(_method_problems(module.methods, spec, path))
        keys = [c.key for name in FILLABLE for c in getattr(spec, name)]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            problems.append((path, f"criterion key {dupes[0]!r} is used twice in the module"))
    problems.extend(_partial_methods(plan, filled))
    if problems:
        raise SupplementRefused(filename, *problems[0], problems=problems)


def _method_problems(
    methods: tuple[str, ...], spec: SupplementModuleSpec, path: str
) -> list[tuple[str, str]]:
    problems = []
    for name in FILLABLE:
        for k, criterion in enumerate(getattr(spec, name)):
            where = f"{path}.{name}[{k}].method"
            if criterion.method is None and len(methods) != 1:
                problems.append(
                    (where, f"the module has {len(methods)} methods; say which one judges it")
                )
            elif criterion.method is not None and criterion.method not in methods:
                problems.append(
                    (
                        where,
                        f"{criterion.method!r} is not one of the module's methods "
                        f"({', '.join(methods) or 'none'})",
                    )
                )
    return problems


def _states(title: str, name: str) -> str:
    what = name.replace("_", " ")
    return (
        f"the plan states {title}'s {what} (or says it has none), so a supplement cannot give "
        f"them: {_NOT_THE_PLAN}"
    )


def _partial_methods(plan: StandardDoc, filled: dict[str, set[str]]) -> list[tuple[str, str]]:
    """A method's distinction rule counts over all its distinction criteria ("70% of the
    distinction criteria"), so a supplement fills every missing module of it, or none."""
    problems = []
    for method in plan.methods:
        open_ = [
            m
            for m in plan.modules()
            if method.key in m.methods
            and any(g.field == "distinction_criteria" and g.kind == "gap" for g in m.gaps)
        ]
        given = [m for m in open_ if "distinction_criteria" in filled.get(m.key, set())]
        if given and len(given) != len(open_):
            left = ", ".join(m.title for m in open_ if m not in given)
            problems.append(
                (
                    "modules",
                    f"{method.title}'s distinction rule counts all its distinction criteria, so "
                    f"give them for every module whose criteria are missing; not given: {left}",
                )
            )
    return problems


def ref_prefix(organisation_id: int, version: int) -> str:
    """The key prefix of a supplement's criteria: ``o3v2-`` (organisation 3, version 2)."""
    return f"o{organisation_id}v{version}-"


def apply_supplement(
    plan: StandardDoc,
    supplement: SupplementFile,
    *,
    organisation: str,
    organisation_id: int,
    version: int,
) -> StandardDoc:
    """A new document for grading: the plan plus the supplement's criteria, each marked as the
    organisation's. The plan's document is not changed (documents are frozen)."""
    source = SupplementSource(
        organisation=organisation,
        version=version,
        title=supplement.title,
        illustrative=supplement.illustrative,
    )
    prefix = ref_prefix(organisation_id, version)
    data = json.loads(plan.model_dump_json())
    by_key = {m.key: m for m in supplement.modules}
    for section in data["sections"]:
        for module in section["modules"]:
            spec = by_key.get(module["key"])
            if spec is None:
                continue
            for name in FILLABLE:
                given = getattr(spec, name)
                if not given:
                    continue
                module[name] = [
                    *module.get(name, []),
                    *(
                        {
                            "key": f"{prefix}{c.key}",
                            "text": c.text,
                            "method": c.method,
                            "note": c.note,
                            "supplement": source.label,
                        }
                        for c in given
                    ),
                ]
                module["gaps"] = [g for g in module.get("gaps", []) if g["field"] != name]
    filled = {m.key for m in supplement.modules if m.distinction_criteria}
    for method in data["methods"]:
        if method.get("distinction_gap") and any(
            method["key"] in m.methods and m.key in filled for m in plan.modules()
        ):
            method["distinction_gap"] = None
    data["supplement"] = source.model_dump()
    return StandardDoc.model_validate(data)
