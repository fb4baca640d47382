"""The assessor's workspace as the pages read it: method → module → criterion, each criterion
with the evidence of the locked showcase tagged to it and the judgement that rests on it.

The evidence comes from the showcase's manifest (what was submitted, not what the portfolio
holds now); the judgements and their citations from the assessment, loaded with it. Building it
runs no query per item or per criterion, so the page costs the same for 5 items or 40.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from showcase.assessment.models import Assessment, Judgement, MethodRecord
from showcase.evidence import regions
from showcase.standards.schema import Criterion, Module, StandardDoc
from showcase.storage import file_type

#: The group of a standard whose criteria name no assessment method (a competency unit).
UNGROUPED = "criteria"


def anchor_of(ref: str) -> str:
    """The page's id for a criterion: ``criterion-<module>-<key>``."""
    _code, module_key, key = ref.split("/", 2)
    return f"criterion-{module_key}-{key}"


@dataclass(frozen=True)
class Item:
    """One item of the locked showcase as its manifest records it."""

    evidence_id: int
    title: str
    kind: str
    activity_date: str
    description: str
    #: "audio", "video", "image", "pdf", "document", or None when the item has no file.
    category: str | None
    filename: str | None

    @property
    def kind_words(self) -> str:
        return self.kind.replace("_", " ")

    @property
    def regions_apply(self) -> bool:
        """A part of it can be cited: a time range of a recording, pages of a PDF."""
        return self.category in ("audio", "video", "pdf")


@dataclass(frozen=True)
class Tagged:
    """An item tagged to a criterion's unit (accepted by the tutor when it was locked)."""

    item: Item
    justification: str
    region: regions.Region | None


@dataclass(frozen=True)
class Cited:
    """An item a judgement rests on, and the part of it."""

    item: Item
    region: regions.Region | None

    @property
    def region_text(self) -> str:
        return regions.to_text(self.region)


@dataclass
class CriterionView:
    criterion: Criterion
    evidence: list[Tagged]
    judgement: Judgement | None
    cited: list[Cited]

    @property
    def ref(self) -> str:
        return self.criterion.ref

    @property
    def anchor(self) -> str:
        return anchor_of(self.criterion.ref)

    @property
    def met(self) -> bool | None:
        return None if self.judgement is None else self.judgement.met

    @property
    def comment(self) -> str:
        return "" if self.judgement is None else self.judgement.comment

    @property
    def version(self) -> int:
        return 0 if self.judgement is None else self.judgement.version

    @property
    def cited_regions(self) -> dict[int, str]:
        """Cited item id -> its region as the form field shows it ("" for the whole item)."""
        return {c.item.evidence_id: c.region_text for c in self.cited}

    @property
    def citable(self) -> list[Item]:
        """What the form offers to cite: the items tagged here, then any other already cited."""
        items = {t.item.evidence_id: t.item for t in self.evidence}
        for c in self.cited:
            items.setdefault(c.item.evidence_id, c.item)
        return list(items.values())


@dataclass
class ModuleView:
    module: Module
    criteria: list[CriterionView]

    @property
    def judged(self) -> int:
        return sum(c.judgement is not None for c in self.criteria)

    @property
    def total(self) -> int:
        return len(self.criteria)

    @property
    def unfinished(self) -> bool:
        return self.judged < self.total


@dataclass
class MethodView:
    key: str
    title: str
    weight_percent: int | None
    distinction_gap: str | None
    modules: list[ModuleView]
    #: Whether the method is a live event whose record the assessor writes.
    needs_record: bool = False
    record: MethodRecord | None = None
    criteria: list[CriterionView] = field(init=False)

    def __post_init__(self) -> None:
        self.criteria = [c for m in self.modules for c in m.criteria]

    @property
    def judged(self) -> int:
        return sum(c.judgement is not None for c in self.criteria)

    @property
    def total(self) -> int:
        return len(self.criteria)

    @property
    def unfinished(self) -> bool:
        """Criteria are left to judge."""
        return self.judged < self.total

    @property
    def not_met(self) -> int:
        return sum(c.met is False for c in self.criteria)

    @property
    def work_remains(self) -> bool:
        return self.judged < self.total or (self.needs_record and self.record is None)


def submitted_items(manifest: dict) -> list[tuple[Item, list[dict]]]:
    """The manifest's items, each with its tags as locked."""
    items = []
    for entry in manifest.get("items", []):
        stored = entry.get("file")
        ftype = file_type(stored["mime_type"]) if stored else None
        category = None
        if ftype is not None:
            category = "pdf" if ftype.mime == "application/pdf" else ftype.category
        item = Item(
            evidence_id=entry["evidence_id"],
            title=entry["title"],
            kind=entry["kind"],
            activity_date=entry["activity_date"],
            description=entry.get("description") or "",
            category=category,
            filename=stored["filename"] if stored else None,
        )
        items.append((item, entry.get("tags", [])))
    return items


def _tag_region(tag: dict) -> regions.Region | None:
    """A tag's region as the manifest records it (``regions.as_dict``), if it has one."""
    found = tag.get("region")
    if not found:
        return None
    try:
        return regions.region_of(found.get("kind"), found.get("start"), found.get("end"))
    except regions.RegionError:
        return None


def _statement_key(number: str | None) -> str | None:
    """The key of the criterion that judges a standard statement (``statement-2``)."""
    return None if number is None else f"statement-{number.replace('.', '-')}".lower()


def _evidence_by_criterion(
    doc: StandardDoc, criteria: list[Criterion], items: list[tuple[Item, list[dict]]]
) -> dict[str, list[Tagged]]:
    """Accepted tags, by the criterion they bear on: a competency criterion's own unit; a
    standard statement judged as a criterion, the units under it; else any unit of the
    criterion's module (the plan judges a module's criteria on its units)."""
    by_unit: dict[str, list[Tagged]] = {}
    by_group: dict[tuple[str, str | None], list[Tagged]] = {}
    for item, tags in items:
        for tag in tags:
            if tag.get("status") != "accepted":
                continue
            try:
                unit = doc.unit(tag["ref"])
            except KeyError:
                continue
            tagged = Tagged(item, tag.get("justification", ""), _tag_region(tag))
            by_unit.setdefault(unit.ref, []).append(tagged)
            for group in (
                (unit.module_key, None),
                (unit.module_key, _statement_key(unit.statement_number)),
            ):
                listed = by_group.setdefault(group, [])
                if all(t.item.evidence_id != item.evidence_id for t in listed):
                    listed.append(tagged)
    found = {}
    for c in criteria:
        if c.unit_ref:
            found[c.ref] = by_unit.get(c.unit_ref, [])
        elif c.basis == "standard_statement":
            found[c.ref] = by_group.get((c.module_key, c.key), [])
        else:
            found[c.ref] = by_group.get((c.module_key, None), [])
    return found


def method_groups(doc: StandardDoc) -> list[tuple[str, str, int | None, str | None]]:
    """(key, title, weight, distinction gap) of each group the workspace shows: the plan's
    methods, and the criteria that name none (a competency unit's)."""
    groups = [(m.key, m.title, m.weight_percent, m.distinction_gap) for m in doc.methods]
    if any(c.method_key is None for c in doc.criteria()):
        groups.append((UNGROUPED, "Criteria", None, None))
    return groups


def build(assessment: Assessment, doc: StandardDoc, live_methods: set[str]) -> list[MethodView]:
    """The workspace's methods, modules and criteria, for the criteria that apply (the working
    contexts the observation recorded)."""
    items = submitted_items(assessment.submission.manifest or {})
    item_by_id = {item.evidence_id: item for item, _tags in items}
    judged = {j.reference.ref: j for j in assessment.judgements}
    records = {r.method_key: r for r in assessment.records}
    contexts = assessment.contexts
    applicable = [
        c for c in doc.criteria() if not contexts or c.context is None or c.context in contexts
    ]
    evidence = _evidence_by_criterion(doc, applicable, items)
    views = []
    for key, title, weight, gap in method_groups(doc):
        modules: dict[str, ModuleView] = {}
        for criterion in applicable:
            if (criterion.method_key or UNGROUPED) != key:
                continue
            judgement = judged.get(criterion.ref)
            cited = [
                Cited(
                    item_by_id[c.evidence_id],
                    regions.region_of(c.region_kind, c.region_start, c.region_end),
                )
                for c in (judgement.citations if judgement else [])
                if c.evidence_id in item_by_id
            ]
            module = modules.setdefault(
                criterion.module_key, ModuleView(doc.module(criterion.module_key), [])
            )
            module.criteria.append(
                CriterionView(criterion, evidence[criterion.ref], judgement, cited)
            )
        views.append(
            MethodView(
                key=key,
                title=title,
                weight_percent=weight,
                distinction_gap=gap,
                modules=list(modules.values()),
                needs_record=key in live_methods,
                record=records.get(key),
            )
        )
    return views


def find(methods: list[MethodView], ref: str) -> tuple[MethodView, ModuleView] | None:
    """The method and module a criterion sits in on the page."""
    for method in methods:
        for module in method.modules:
            if any(c.ref == ref for c in module.criteria):
                return method, module
    return None
