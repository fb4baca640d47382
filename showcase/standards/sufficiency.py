"""Sufficiency: when tagged evidence covers a standard's units. Pure functions, no Flask, no SQL.

The database side (``showcase.coverage``) turns rows into the records below; everything that
decides what "covered" means, which gaps there are and what would close them lives here, so it
is unit-tested alone and the same rules serve the live page, past dates and frozen reviews.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from showcase.standards.schema import StandardDoc

TagState = Literal["pending", "accepted", "sent_back"]
GapKind = Literal["no_evidence", "own_accounts_only", "not_accepted", "needs_more"]
Pace = Literal["on_track", "behind", "unknown"]

#: What each tag event leaves the tag as; "removed" takes it out of coverage (None).
EVENT_STATES: dict[str, TagState | None] = {
    "created": "pending",
    "restored": "pending",
    "edited": "pending",
    "accepted": "accepted",
    "sent_back": "sent_back",
    "removed": None,
}


# ------------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class UnitRule:
    """A unit and how much accepted evidence it needs."""

    ref: str
    module_key: str
    number: str
    text: str
    min_accepted: int
    min_third_party: int
    third_party_kinds: frozenset[str]


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    key: str
    title: str
    methods: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroupDef:
    """A named set of modules, e.g. one assessment method's or the plan's showcase areas."""

    key: str
    title: str
    module_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StandardRules:
    """Everything coverage needs from a standard, as plain data."""

    units: tuple[UnitRule, ...]
    modules: tuple[ModuleInfo, ...]
    groups: tuple[GroupDef, ...]
    review_points_months: tuple[int, ...]
    gateway_min_months: int | None
    by_ref: Mapping[str, UnitRule] = field(default_factory=dict, compare=False, hash=False)

    def unit(self, ref: str) -> UnitRule:
        """A unit rule by ref (KeyError if unknown)."""
        return self.by_ref[ref]


def rules_from_doc(doc: StandardDoc) -> StandardRules:
    """Read the coverage rules out of a standard document."""
    units = []
    for unit in doc.units():
        rule = doc.sufficiency_for(unit.ref)
        units.append(
            UnitRule(
                ref=unit.ref,
                module_key=unit.module_key,
                number=unit.number,
                text=unit.text.splitlines()[0],
                min_accepted=rule.min_accepted,
                min_third_party=rule.min_third_party,
                third_party_kinds=frozenset(rule.third_party_kinds),
            )
        )
    modules = tuple(ModuleInfo(m.key, m.title, m.methods) for m in doc.modules())
    groups = [
        GroupDef(m.key, m.title, tuple(mod.key for mod in modules if m.key in mod.methods))
        for m in doc.methods
    ]
    if doc.plan.showcase_areas:
        groups.append(GroupDef("showcase-areas", "Showcase areas", doc.plan.showcase_areas))
    if doc.plan.observation_mandatory_areas:
        groups.append(
            GroupDef(
                "observation-mandatory",
                "Mandatory observation areas",
                doc.plan.observation_mandatory_areas,
            )
        )
    return StandardRules(
        units=tuple(units),
        modules=modules,
        groups=tuple(groups),
        review_points_months=doc.plan.review_points_months,
        gateway_min_months=doc.plan.gateway_min_months,
        by_ref={u.ref: u for u in units},
    )


# ------------------------------------------------------------------------------ tallies


@dataclass(frozen=True, slots=True)
class TagFact:
    """One live tag: which unit, from what kind of evidence, in which state."""

    ref: str
    evidence_id: int
    kind: str
    status: TagState


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts of a unit's live tags (the shape the rollup table stores)."""

    tag_count: int = 0
    accepted: int = 0
    pending: int = 0
    sent_back: int = 0
    #: Tags from third-party kinds, in any state.
    third_party: int = 0
    third_party_accepted: int = 0
    kinds: tuple[str, ...] = ()


EMPTY = Tally()


def tally(facts: Iterable[TagFact], third_party_kinds: frozenset[str]) -> Tally:
    """Count one unit's tags by state and by whether their evidence is third-party."""
    counts = {"pending": 0, "accepted": 0, "sent_back": 0}
    third = third_accepted = 0
    kinds: set[str] = set()
    for fact in facts:
        counts[fact.status] += 1
        kinds.add(fact.kind)
        if fact.kind in third_party_kinds:
            third += 1
            third_accepted += fact.status == "accepted"
    return Tally(
        tag_count=sum(counts.values()),
        accepted=counts["accepted"],
        pending=counts["pending"],
        sent_back=counts["sent_back"],
        third_party=third,
        third_party_accepted=third_accepted,
        kinds=tuple(sorted(kinds)),
    )


def tallies_by_ref(rules: StandardRules, facts: Iterable[TagFact]) -> dict[str, Tally]:
    """Tally every unit that has tags; refs outside the standard are ignored."""
    grouped: dict[str, list[TagFact]] = defaultdict(list)
    for fact in facts:
        grouped[fact.ref].append(fact)
    result = {}
    for rule in rules.units:
        if rule.ref in grouped:
            result[rule.ref] = tally(grouped[rule.ref], rule.third_party_kinds)
    return result


def is_covered(rule: UnitRule, counts: Tally) -> bool:
    """Enough accepted tags, and enough of them from third-party evidence."""
    return (
        counts.accepted >= rule.min_accepted and counts.third_party_accepted >= rule.min_third_party
    )


# --------------------------------------------------------------------------------- gaps


@dataclass(frozen=True, slots=True)
class Gap:
    """Why a unit is not covered yet, and what would close it."""

    kind: GapKind
    reason: str
    action: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# Cached: rules and tallies are immutable and the same few combinations recur on every page.
@functools.lru_cache(maxsize=8192)
def gap_for(rule: UnitRule, counts: Tally) -> Gap | None:
    """The gap a unit shows, or None when it is covered."""
    if is_covered(rule, counts):
        return None
    kinds = ", ".join(sorted(k.replace("_", " ") for k in rule.third_party_kinds))
    if counts.tag_count == 0:
        return Gap(
            "no_evidence",
            "No evidence is tagged to this unit.",
            "Tag evidence that shows it"
            + (f", including at least one third-party item ({kinds})." if kinds else "."),
        )
    if rule.min_third_party and counts.third_party == 0:
        return Gap(
            "own_accounts_only",
            "Only the apprentice's own accounts show this unit; nobody else has confirmed it.",
            f"Add third-party evidence ({kinds}) and tag it to this unit.",
        )
    if counts.accepted == 0:
        if counts.sent_back and not counts.pending:
            reason = f"Every tag was sent back by the tutor ({_plural(counts.sent_back, 'tag')})."
            action = "Improve the evidence or its justification as the tutor asked, then re-tag."
        else:
            reason = (
                f"No tag is accepted yet ({counts.pending} awaiting the tutor, "
                f"{counts.sent_back} sent back)."
            )
            action = "The tutor reviews the pending tags; rework any that were sent back."
        return Gap("not_accepted", reason, action)
    missing = []
    if counts.accepted < rule.min_accepted:
        missing.append(_plural(rule.min_accepted - counts.accepted, "more accepted tag"))
    if counts.third_party_accepted < rule.min_third_party:
        need = rule.min_third_party - counts.third_party_accepted
        missing.append(f"{need} more accepted third-party item{'' if need == 1 else 's'}")
    return Gap(
        "needs_more",
        f"Some evidence is accepted but the standard asks for {' and '.join(missing)}.",
        "Get the pending tags reviewed, or add and tag "
        + (
            "third-party evidence."
            if counts.third_party_accepted < rule.min_third_party
            else "more evidence."
        ),
    )


# ------------------------------------------------------------------------------ reports


@dataclass(frozen=True, slots=True)
class UnitCoverage:
    rule: UnitRule
    tally: Tally
    covered: bool
    gap: Gap | None


@dataclass(frozen=True, slots=True)
class GroupCoverage:
    key: str
    title: str
    covered: int
    total: int
    #: Units of the group not covered yet.
    gap_refs: tuple[str, ...] = ()

    @property
    def percent(self) -> int:
        """Whole percent covered (rounded down, so 100 means every unit)."""
        return self.covered * 100 // self.total if self.total else 0


@dataclass(frozen=True, slots=True)
class Report:
    """Coverage of one apprenticeship at one date."""

    as_of: dt.date
    units: tuple[UnitCoverage, ...]
    modules: tuple[GroupCoverage, ...]
    groups: tuple[GroupCoverage, ...]
    overall: GroupCoverage
    by_ref: dict[str, UnitCoverage] = field(repr=False, compare=False, default_factory=dict)

    @property
    def gaps(self) -> list[UnitCoverage]:
        """Uncovered units, in document order."""
        return [u for u in self.units if not u.covered]


@dataclass(frozen=True, slots=True)
class GapGroup:
    """Units that share one gap (same reason, same remedy), listed together."""

    gap: Gap
    units: tuple[UnitRule, ...]


def group_gaps(report: Report) -> list[GapGroup]:
    """The report's gaps, one group per distinct reason and remedy, worst first."""
    order = {"no_evidence": 0, "own_accounts_only": 1, "not_accepted": 2, "needs_more": 3}
    groups: dict[Gap, list[UnitRule]] = {}
    for unit in report.units:
        if unit.gap is not None:
            groups.setdefault(unit.gap, []).append(unit.rule)
    return sorted(
        (GapGroup(gap, tuple(rules)) for gap, rules in groups.items()),
        key=lambda g: order[g.gap.kind],
    )


def _group(key: str, title: str, units: Sequence[UnitCoverage]) -> GroupCoverage:
    return GroupCoverage(
        key=key,
        title=title,
        covered=sum(u.covered for u in units),
        total=len(units),
        gap_refs=tuple(u.rule.ref for u in units if not u.covered),
    )


def build_report(rules: StandardRules, tallies: Mapping[str, Tally], as_of: dt.date) -> Report:
    """Per unit, per module, per assessment method (or plan area) and overall."""
    units = []
    for rule in rules.units:
        counts = tallies.get(rule.ref, EMPTY)
        covered = is_covered(rule, counts)
        units.append(
            UnitCoverage(rule, counts, covered, None if covered else gap_for(rule, counts))
        )
    by_module: dict[str, list[UnitCoverage]] = defaultdict(list)
    for unit in units:
        by_module[unit.rule.module_key].append(unit)
    modules = tuple(_group(m.key, m.title, by_module[m.key]) for m in rules.modules)
    groups = tuple(
        _group(g.key, g.title, [u for key in g.module_keys for u in by_module.get(key, ())])
        for g in rules.groups
    )
    return Report(
        as_of=as_of,
        units=tuple(units),
        modules=modules,
        groups=groups,
        overall=_group("overall", "Overall", units),
        by_ref={u.rule.ref: u for u in units},
    )


# ---------------------------------------------------------------------- the past, replayed


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    id: int
    kind: str
    activity_date: dt.date
    created_at: dt.datetime
    deleted_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class TagRecord:
    id: int
    evidence_id: int
    ref: str


@dataclass(frozen=True, slots=True)
class EventRecord:
    tag_id: int
    action: str
    at: dt.datetime


def end_of(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` (UTC): "as of D" includes all of D."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def state_at(events: Iterable[EventRecord], cutoff: dt.datetime) -> TagState | None:
    """A tag's state just before ``cutoff``, replaying its events in order (None: not live)."""
    state: TagState | None = None
    for event in sorted(events, key=lambda e: e.at):
        if event.at >= cutoff:
            break
        state = EVENT_STATES.get(event.action, state)
    return state


def facts_as_of(
    evidence: Iterable[EvidenceRecord],
    tags: Iterable[TagRecord],
    events: Iterable[EventRecord],
    as_of: dt.date,
) -> list[TagFact]:
    """The live tags at the end of ``as_of``: evidence that existed, tags as they then stood."""
    cutoff = end_of(as_of)
    alive = {
        e.id: e
        for e in evidence
        if e.created_at < cutoff
        and e.activity_date <= as_of
        and (e.deleted_at is None or e.deleted_at >= cutoff)
    }
    by_tag: dict[int, list[EventRecord]] = defaultdict(list)
    for event in events:
        by_tag[event.tag_id].append(event)
    facts = []
    for tag in tags:
        item = alive.get(tag.evidence_id)
        if item is None:
            continue
        state = state_at(by_tag.get(tag.id, ()), cutoff)
        if state is not None:
            facts.append(TagFact(tag.ref, tag.evidence_id, item.kind, state))
    return facts


def report_as_of(
    rules: StandardRules,
    evidence: Sequence[EvidenceRecord],
    tags: Sequence[TagRecord],
    events: Sequence[EventRecord],
    as_of: dt.date,
) -> Report:
    """Coverage as it stood at the end of ``as_of``."""
    return build_report(
        rules, tallies_by_ref(rules, facts_as_of(evidence, tags, events, as_of)), as_of
    )


# ------------------------------------------------------------------- calendar and pace


# Cached: a cohort dashboard asks for the same few start dates and review points many times.
@functools.lru_cache(maxsize=65536)
def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` plus calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return dt.date(year, month + 1, day)


def months_between(start: dt.date, on: dt.date) -> int:
    """Whole calendar months from ``start`` to ``on`` (0 before the start)."""
    months = (on.year - start.year) * 12 + on.month - start.month
    if on < add_months(start, months):
        months -= 1
    return max(months, 0)


def review_due_dates(
    start: dt.date, review_points_months: Iterable[int]
) -> list[tuple[int, dt.date]]:
    """Each review point (months) with the date it falls due."""
    return [(m, add_months(start, m)) for m in review_points_months]


def expected_share(months_elapsed: int, gateway_months: int | None) -> float | None:
    """The share of units that should be covered by now, if progress were even to gateway."""
    if not gateway_months:
        return None
    return min(months_elapsed / gateway_months, 1.0)


def pace(covered_share: float, expected: float | None) -> Pace:
    """On track when the covered share has reached the expected share."""
    if expected is None:
        return "unknown"
    return "on_track" if covered_share + 1e-9 >= expected else "behind"


def chart_points(start: dt.date, today: dt.date, gateway_months: int | None) -> list[dt.date]:
    """Monthly dates from the start to today (and on to gateway), for the chart over time."""
    last = max(months_between(start, today), gateway_months or 0, 1)
    points = [add_months(start, m) for m in range(last + 1)]
    return [p for p in points if p <= today] or [start]


# ---------------------------------------------------------------------------- snapshot


def snapshot(report: Report) -> dict:
    """A JSON-ready summary of a report, frozen with signed reviews."""
    return {
        "as_of": report.as_of.isoformat(),
        "overall": {"covered": report.overall.covered, "total": report.overall.total},
        "modules": [
            {"key": m.key, "title": m.title, "covered": m.covered, "total": m.total}
            for m in report.modules
        ],
        "groups": [
            {"key": g.key, "title": g.title, "covered": g.covered, "total": g.total}
            for g in report.groups
        ],
        "covered": [u.rule.ref for u in report.units if u.covered],
        "evidenced": [u.rule.ref for u in report.units if u.tally.tag_count],
        "gaps": [
            {"ref": u.rule.ref, "kind": u.gap.kind, "reason": u.gap.reason}
            for u in report.units
            if u.gap is not None
        ],
    }


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between two coverage snapshots."""

    newly_covered: tuple[str, ...]
    newly_evidenced: tuple[str, ...]
    no_longer_covered: tuple[str, ...]
    covered_before: int
    covered_now: int


def changes(before: Mapping | None, after: Mapping) -> Changes | None:
    """Compare two ``snapshot()`` dicts; None when there is nothing earlier to compare with."""
    if before is None:
        return None
    was, now = set(before.get("covered", ())), set(after.get("covered", ()))
    had_evidence = set(before.get("evidenced", ()))
    order = list(after.get("evidenced", ())) + list(before.get("covered", ()))
    rank = {ref: i for i, ref in reversed(list(enumerate(order)))}

    def ordered(refs: set[str]) -> tuple[str, ...]:
        return tuple(sorted(refs, key=lambda r: (rank.get(r, 0), r)))

    return Changes(
        newly_covered=ordered(now - was),
        newly_evidenced=ordered(set(after.get("evidenced", ())) - had_evidence),
        no_longer_covered=ordered(was - now),
        covered_before=len(was),
        covered_now=len(now),
    )
