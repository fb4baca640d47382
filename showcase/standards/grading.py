"""Grading: a standard plus an assessor's judgements in, a grade with its reasons out.

Pure computation over plain data (no Flask, no database), so every boundary is unit-tested.

Judgements map a criterion ref to True (met) or False (not met). A ref that is absent is *not
yet assessed*: it never counts as met. Rules, in order of precedence:

1. Any unmet pass criterion fails its method and the whole assessment at once, whatever is still
   to be judged — the plans require every pass criterion, so nothing left can rescue it.
2. Otherwise a grade is announced only when the missing judgements cannot change it; until then
   it is ``not_yet_assessed`` and the result says which grades are still possible.
3. A method's distinction needs all its pass criteria and at least ``ceil(threshold * total)`` of
   its distinction criteria, in exact fractions (4 of 5 meets 0.80; 7 of 10 meets 0.70).
4. A method with no distinction criteria in the data cannot award a distinction. When the file
   says why they are missing (``distinction_gap``) the result says a distinction cannot be
   computed from the data, and never guesses one.
5. The overall grade follows the plan's ``overall_rule`` (overridable): ``each_method`` needs a
   distinction in every method; ``weighted_average`` scores the methods as the file states.
6. A pass whose distinction cannot be decided from the data is never a bare pass: the result
   carries ``distinction="undetermined"``, records the grade as ``pass_distinction_undetermined``
   and says so in its headline ("Pass — distinction cannot be determined: …").
7. A document merged with an assessment organisation's supplement (showcase.standards.
   supplements) grades with that organisation's criteria where the plan has none; the result's
   ``supplement`` and its explanation name whose criteria they are, never passing them off as
   the plan's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

from showcase.standards.schema import Criterion, Method, OverallRule, StandardDoc

Status = Literal["not_yet_assessed", "fail", "pass", "distinction"]
OverallGrade = Literal[
    "not_yet_assessed", "fail", "pass", "distinction", "competent", "not_yet_competent"
]
#: Whether a pass or distinction is a distinction: decided either way, or not decidable from
#: the data (its distinction criteria are missing). None for any other overall grade.
Distinction = Literal["awarded", "not_awarded", "undetermined"]
#: The value recorded as an assessment's final grade. A pass whose distinction cannot be
#: determined is stored as such, so every list, export and audit entry that prints the stored
#: value says so too; the older values keep their meaning.
RecordedGrade = Literal[OverallGrade, "pass_distinction_undetermined"]
UNDECIDED_DISTINCTION_GRADE: Final = "pass_distinction_undetermined"
#: Determined grades from worst to best, per scheme; not_yet_assessed is not on the scale.
GRADE_ORDER: dict[str, tuple[str, ...]] = {
    "pass_distinction": ("fail", "pass", "distinction"),
    "competency": ("not_yet_competent", "competent"),
}
_RANK = {"fail": 0, "pass": 1, "distinction": 2}
_LABEL = {
    "fail": "fail",
    "pass": "pass",
    "distinction": "distinction",
    "not_yet_assessed": "not yet assessed",
    "competent": "competent",
    "not_yet_competent": "not yet competent",
    UNDECIDED_DISTINCTION_GRADE: "pass — distinction cannot be determined from the data",
}


@dataclass(frozen=True, slots=True)
class MethodResult:
    """One assessment method's grade, counts and reasons."""

    key: str
    title: str
    weight_percent: int
    status: Status
    pass_met: int
    pass_total: int
    pass_not_met: int
    pass_missing: int
    distinction_met: int
    distinction_total: int
    distinction_missing: int
    #: How many distinction criteria a distinction needs; None when there are none to count.
    distinction_required: int | None
    #: The data lacks this method's distinction criteria, so a distinction cannot be computed.
    distinction_undetermined: bool
    #: The worst and best grade still possible given the missing judgements.
    lowest: Status
    highest: Status
    explanation: tuple[str, ...]
    not_met_refs: tuple[str, ...]
    missing_refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    """The overall grade, each method's result and plain-language reasons."""

    standard_key: str
    scheme: str
    overall: OverallGrade
    #: For a pass or distinction: is it a distinction — awarded, not awarded, or undetermined
    #: because the data lacks distinction criteria that could make it one. Else None.
    distinction: Distinction | None
    #: The value to record as the final grade (``overall``, or ``pass_distinction_undetermined``).
    grade: RecordedGrade
    #: The grade in words, e.g. "Pass — distinction cannot be determined: the … are missing".
    headline: str
    #: The rule applied (None for a competency scheme).
    overall_rule: OverallRule | None
    methods: tuple[MethodResult, ...]
    explanation: tuple[str, ...]
    #: A distinction might be due but cannot be computed from the data (criteria missing).
    distinction_undetermined: bool
    #: The weighted_average score, when that rule applies and every method is determined.
    weighted_score: Fraction | None
    lowest: OverallGrade
    highest: OverallGrade
    not_met_refs: tuple[str, ...]
    missing_refs: tuple[str, ...]
    contexts: tuple[str, ...] | None
    #: Whose criteria filled the plan's gaps, e.g. "criteria of Example EPA, not of the plan
    #: (supplement version 1)"; None when graded with the plan's data alone.
    supplement: str | None = None

    def method(self, key: str) -> MethodResult:
        """One method's result by key (KeyError if unknown)."""
        for result in self.methods:
            if result.key == key:
                return result
        raise KeyError(key)


def grade(
    doc: StandardDoc,
    judgements: Mapping[str, bool],
    *,
    overall_rule: OverallRule | None = None,
    contexts: Collection[str] | None = None,
) -> AssessmentResult:
    """Grade one apprentice's judgements against a standard.

    ``contexts`` limits context-specific criteria (e.g. ``["face-to-face"]`` for an apprentice
    with no non-facing interactions); None means every criterion applies. Raises ValueError for
    refs the standard does not have, unknown contexts or an unusable rule.
    """
    _check_judgements(doc, judgements)
    applicable = _applicable(doc, contexts)
    chosen = tuple(sorted(contexts)) if contexts is not None else None
    if doc.scheme == "competency":
        return _grade_competency(doc, applicable, judgements, chosen)

    rule = overall_rule or doc.plan.overall_rule
    if rule not in ("each_method", "weighted_average"):
        raise ValueError(f"unknown overall rule {rule!r}: use each_method or weighted_average")
    if rule == "weighted_average" and doc.plan.weighted_average is None:
        raise ValueError(f"{doc.key} states no weighted_average settings to grade with")

    methods = tuple(_grade_method(m, applicable, judgements) for m in doc.methods)
    explanation = [line for m in methods for line in m.explanation]
    supplement = doc.supplement.label if doc.supplement is not None else None
    if doc.supplement is not None:
        explanation.insert(
            0,
            "Where the plan's own criteria are missing, this grade uses "
            f"“{doc.supplement.title}”: the {doc.supplement.label}.",
        )
    if overall_rule is not None and overall_rule != doc.plan.overall_rule:
        explanation.append(
            f"Overall rule: {rule} (chosen instead of the file's default, {doc.plan.overall_rule})."
        )
    not_met = tuple(r for m in methods for r in m.not_met_refs)
    missing = tuple(r for m in methods for r in m.missing_refs)

    failed = [m for m in methods if m.status == "fail"]
    if failed:
        explanation.append(
            f"Overall: fail — {_join(m.title for m in failed)} "
            f"{'has' if len(failed) == 1 else 'have'} an unmet pass criterion. Every pass "
            "criterion of every method must be met, so this fails the whole assessment, "
            "whatever is still to be judged."
        )
        return AssessmentResult(
            standard_key=doc.key,
            scheme=doc.scheme,
            overall="fail",
            distinction=None,
            grade="fail",
            headline="Fail",
            overall_rule=rule,
            methods=methods,
            explanation=tuple(explanation),
            distinction_undetermined=False,
            weighted_score=None,
            lowest="fail",
            highest="fail",
            not_met_refs=not_met,
            missing_refs=missing,
            contexts=chosen,
            supplement=supplement,
        )

    lowest, low_score = _combine(doc, rule, [m.lowest for m in methods])
    highest, high_score = _combine(doc, rule, [m.highest for m in methods])
    hopeful, _ = _combine(
        doc,
        rule,
        ["distinction" if m.distinction_undetermined else m.highest for m in methods],
    )
    overall: OverallGrade = lowest if lowest == highest else "not_yet_assessed"
    undetermined = _RANK[hopeful] > _RANK[highest]
    score = low_score if low_score == high_score else None

    gaps = [m.title for m in methods if m.distinction_undetermined]
    distinction, recorded, headline = _verdict(overall, undetermined, gaps)
    explanation.extend(
        _overall_explanation(
            doc, rule, methods, overall, lowest, highest, score, distinction == "undetermined"
        )
    )
    if undetermined:
        explanation.append(
            "Whether the overall grade is a distinction cannot be computed from the data: "
            f"the {_join(gaps)} distinction criteria are missing from the source."
        )
    if rule == "weighted_average" and overall != "not_yet_assessed":
        ceiling = weighted_average_ceiling(doc)
        if ceiling is not None and not ceiling.reachable:
            explanation.append(_unreachable(ceiling))
    awaited_contexts = {doc.criterion(ref).context for ref in missing} - {None}
    if awaited_contexts and contexts is None:
        explanation.append(
            "Criteria for every context ("
            + ", ".join(c.title for c in doc.contexts)
            + ") are counted; if the apprentice's role has only some, grade with those "
            "contexts so the others are not awaited."
        )
    return AssessmentResult(
        standard_key=doc.key,
        scheme=doc.scheme,
        overall=overall,
        distinction=distinction,
        grade=recorded,
        headline=headline,
        overall_rule=rule,
        methods=methods,
        explanation=tuple(explanation),
        distinction_undetermined=undetermined,
        weighted_score=score if rule == "weighted_average" else None,
        lowest=lowest,
        highest=highest,
        not_met_refs=not_met,
        missing_refs=missing,
        contexts=chosen,
        supplement=supplement,
    )


# ----------------------------------------------------------------------------- internals


def _verdict(
    overall: OverallGrade, undetermined: bool, gaps: list[str]
) -> tuple[Distinction | None, RecordedGrade, str]:
    """Whether a pass is a distinction, the grade to record and its headline."""
    if overall == "distinction":
        return "awarded", overall, "Distinction"
    if overall != "pass":
        return None, overall, _LABEL[overall].capitalize()
    if not undetermined:
        return "not_awarded", overall, "Pass"
    return (
        "undetermined",
        UNDECIDED_DISTINCTION_GRADE,
        f"Pass — distinction cannot be determined: the {_join(gaps)} distinction criteria are "
        "missing from the data",
    )


def _check_judgements(doc: StandardDoc, judgements: Mapping[str, bool]) -> None:
    refs = {c.ref for c in doc.criteria()}
    unknown = sorted(set(judgements) - refs)
    if unknown:
        shown = ", ".join(unknown[:5]) + ("…" if len(unknown) > 5 else "")
        raise ValueError(f"{doc.key} has no criteria {shown}")
    for ref, value in judgements.items():
        # 1/0 or "yes" from a form must be converted deliberately, not by truthiness.
        if not isinstance(value, bool):
            raise TypeError(f"judgement for {ref} must be True or False, got {value!r}")


def _applicable(doc: StandardDoc, contexts: Collection[str] | None) -> list[Criterion]:
    criteria = doc.criteria()
    if contexts is None:
        return criteria
    known = {c.key for c in doc.contexts}
    chosen = set(contexts)
    if not chosen:
        raise ValueError("name at least one context, or pass contexts=None for all")
    if chosen - known:
        raise ValueError(
            f"unknown context(s) {', '.join(sorted(chosen - known))}; "
            f"{doc.key} has: {', '.join(sorted(known)) or 'none'}"
        )
    return [c for c in criteria if c.context is None or c.context in chosen]


def _split(
    criteria: list[Criterion], judgements: Mapping[str, bool]
) -> tuple[list[str], list[str], list[str]]:
    met = [c.ref for c in criteria if judgements.get(c.ref) is True]
    not_met = [c.ref for c in criteria if judgements.get(c.ref) is False]
    missing = [c.ref for c in criteria if c.ref not in judgements]
    return met, not_met, missing


def _grade_method(
    method: Method, applicable: list[Criterion], judgements: Mapping[str, bool]
) -> MethodResult:
    mine = [c for c in applicable if c.method_key == method.key]
    passes = [c for c in mine if c.level == "pass"]
    distinctions = [c for c in mine if c.level == "distinction"]
    p_met, p_not, p_missing = _split(passes, judgements)
    d_met, _d_not, d_missing = _split(distinctions, judgements)
    required = method.distinction_required(len(distinctions))
    title = method.title
    lines = [
        f"{title}: {len(p_met)} of {len(passes)} pass criteria met"
        + (f", {len(p_not)} not met" if p_not else "")
        + (f", {len(p_missing)} not yet judged" if p_missing else "")
        + "."
    ]
    for level, group in (("pass", passes), ("distinction", distinctions)):
        added = [c for c in group if c.supplement]
        if added:
            lines.append(
                f"{title}: {len(added)} of its {len(group)} {level} criteria are the "
                f"{added[0].supplement}."
            )

    undetermined = False
    if required is None:
        can_low = can_high = False
        if method.distinction_gap:
            undetermined = True
            lines.append(
                f"{title}: a distinction cannot be computed from the data, because "
                f"{method.distinction_gap}."
            )
        elif method.distinction_threshold is None:
            lines.append(f"{title} has no distinction grade.")
        else:
            lines.append(
                f"{title} has no distinction criteria in the data, so it cannot award a "
                "distinction."
            )
    else:
        can_low = len(d_met) >= required
        can_high = len(d_met) + len(d_missing) >= required
        line = (
            f"Distinction needs {required} of {len(distinctions)} {title} distinction "
            f"criteria; {len(d_met)} {'was' if len(d_met) == 1 else 'were'} met"
        )
        if d_missing:
            line += f" and {len(d_missing)} not yet judged"
        lines.append(line + ".")

    lowest: Status
    highest: Status
    if p_not:
        lowest = highest = "fail"
        lines.append(
            f"{title} is failed: every pass criterion must be met (not met: {', '.join(p_not)})."
        )
    else:
        if not passes:
            lines.append(f"No {title} pass criteria apply, so it cannot be graded.")
        pass_sure = bool(passes) and not p_missing
        lowest = ("distinction" if can_low else "pass") if pass_sure else "fail"
        highest = "distinction" if can_high and passes else "pass"
    status: Status = lowest if lowest == highest else "not_yet_assessed"
    if status == "not_yet_assessed":
        lines.append(
            f"{title} is not yet assessed: it will be {_possible(lowest, highest)} once the "
            "rest is judged."
        )
    elif status != "fail":
        lines.append(f"{title}: {status}.")
    return MethodResult(
        key=method.key,
        title=title,
        weight_percent=method.weight_percent,
        status=status,
        pass_met=len(p_met),
        pass_total=len(passes),
        pass_not_met=len(p_not),
        pass_missing=len(p_missing),
        distinction_met=len(d_met),
        distinction_total=len(distinctions),
        distinction_missing=len(d_missing),
        distinction_required=required,
        distinction_undetermined=undetermined,
        lowest=lowest,
        highest=highest,
        explanation=tuple(lines),
        not_met_refs=tuple(p_not),
        missing_refs=tuple(p_missing + d_missing),
    )


def _possible(lowest: str, highest: str) -> str:
    """The grades from ``lowest`` to ``highest`` for people, e.g. "fail, pass or distinction"."""
    order = GRADE_ORDER["pass_distinction"]
    grades = order[order.index(lowest) : order.index(highest) + 1]
    return _join((_LABEL[g] for g in grades), "or")


def _combine(
    doc: StandardDoc, rule: OverallRule, grades: list[str]
) -> tuple[Status, Fraction | None]:
    """The overall grade (and weighted score) for one grade per method."""
    if "fail" in grades:
        return "fail", None
    if rule == "each_method":
        return ("distinction" if all(g == "distinction" for g in grades) else "pass"), None
    settings = doc.plan.weighted_average
    assert settings is not None  # checked by grade()
    points = {"pass": settings.pass_points, "distinction": settings.distinction_points}
    score = Fraction(
        sum(m.weight_percent * points[g] for m, g in zip(doc.methods, grades, strict=True)),
        100,
    )
    return ("distinction" if score >= settings.cutoff_fraction else "pass"), score


def _overall_explanation(
    doc: StandardDoc,
    rule: OverallRule,
    methods: tuple[MethodResult, ...],
    overall: str,
    lowest: str,
    highest: str,
    score: Fraction | None,
    undetermined: bool,
) -> list[str]:
    if overall == "not_yet_assessed":
        waiting = sum(len(m.missing_refs) for m in methods)
        return [
            f"Overall: not yet assessed — {waiting} "
            f"{'criterion is' if waiting == 1 else 'criteria are'} still to be judged; the "
            f"grade will be {_possible(lowest, highest)}."
        ]
    label = "pass, distinction undetermined" if undetermined else overall
    if rule == "each_method":
        if overall == "distinction":
            return ["Overall: distinction — every method is a distinction (each_method)."]
        if undetermined:
            done = [m.title for m in methods if m.status == "distinction"]
            open_ = [m.title for m in methods if m.distinction_undetermined]
            settled = ""
            if done:
                settled = (
                    f"{_join(done)} {'is a distinction' if len(done) == 1 else 'are distinctions'}"
                    ", but "
                )
            return [
                f"Overall: {label} — every pass criterion of every method is met; an overall "
                f"distinction needs a distinction in every method; {settled}whether "
                f"{_join(open_)} {'is' if len(open_) == 1 else 'are'} one cannot be computed "
                "from the data."
            ]
        short = [
            m.title for m in methods if m.status != "distinction" and not m.distinction_undetermined
        ]
        return [
            "Overall: pass — every pass criterion of every method is met; an overall "
            f"distinction needs a distinction in every method, and {_join(short)} "
            f"{'is' if len(short) == 1 else 'are'} not."
        ]
    settings = doc.plan.weighted_average
    assert settings is not None
    cutoff = _decimal(settings.cutoff_fraction)
    if score is None:
        return [
            f"Overall: {label} — under weighted_average it is a {overall} whichever way the "
            f"undecided distinctions fall (a distinction needs a score of at least {cutoff})."
        ]
    points = {"pass": settings.pass_points, "distinction": settings.distinction_points}
    terms = " + ".join(f"{m.weight_percent} x {points[m.status]}" for m in methods)
    counted = ""
    if undetermined:
        open_ = [m.title for m in methods if m.distinction_undetermined]
        counted = (
            f", counting {_join(open_)} as a pass because {'its' if len(open_) == 1 else 'their'}"
            " distinction cannot be computed from the data"
        )
    return [
        f"Overall: {label} — weighted score ({terms}) / 100 = {_decimal(score)}{counted}; a "
        f"distinction needs at least {cutoff} (pass = {settings.pass_points}, distinction = "
        f"{settings.distinction_points})."
    ]


@dataclass(frozen=True, slots=True)
class WeightedCeiling:
    """The best score ``weighted_average`` can give on a standard's data, against its cut."""

    #: Every method at its best grade the data allows (a distinction only where it has
    #: distinction criteria to count).
    score: Fraction
    cutoff: Fraction
    #: Titles of the methods held at a pass because the data cannot award them a distinction.
    capped: tuple[str, ...]

    @property
    def reachable(self) -> bool:
        """Whether an overall distinction is possible at all on this data."""
        return self.score >= self.cutoff


def weighted_average_ceiling(doc: StandardDoc) -> WeightedCeiling | None:
    """The highest weighted_average score the data allows, or None without such settings.

    Computed from the file, never assumed: a method can score a distinction only when the
    data gives it distinction criteria and a threshold to count them by.
    """
    settings = doc.plan.weighted_average
    if doc.scheme != "pass_distinction" or settings is None or not doc.methods:
        return None
    capped = []
    total = 0
    for method in doc.methods:
        count = sum(1 for c in doc.criteria(method.key) if c.level == "distinction")
        if method.distinction_required(count) is None:
            capped.append(method.title)
            total += method.weight_percent * settings.pass_points
        else:
            total += method.weight_percent * settings.distinction_points
    return WeightedCeiling(Fraction(total, 100), settings.cutoff_fraction, tuple(capped))


def _unreachable(ceiling: WeightedCeiling) -> str:
    capped = _join(ceiling.capped)
    return (
        f"Under weighted_average the highest score the data allows is "
        f"{_decimal(ceiling.score)}, below the cut of {_decimal(ceiling.cutoff)} ({capped} "
        f"cannot score a distinction on this data), so an overall distinction is unreachable "
        "on this data."
    )


def grade_words(value: str, result: Mapping[str, object] | None = None) -> str:
    """A recorded grade in words: "pass_distinction_undetermined" -> "Pass — distinction
    cannot be determined from the data"; unknown values are shown with spaces.

    ``result`` is the stored result (``result_json``) the grade was recorded with: its
    headline names what is missing. A "pass" recorded before the distinction was part of
    the grade, whose result says the distinction was undetermined, is shown as undetermined.
    """
    if result:
        headline = result.get("headline")
        if isinstance(headline, str) and result.get("grade") == value:
            return headline
        if value == "pass" and "grade" not in result and result.get("distinction_undetermined"):
            value = UNDECIDED_DISTINCTION_GRADE
    words = _LABEL.get(value, value.replace("_", " "))
    return words[:1].upper() + words[1:]


def _grade_competency(
    doc: StandardDoc,
    applicable: list[Criterion],
    judgements: Mapping[str, bool],
    chosen: tuple[str, ...] | None,
) -> AssessmentResult:
    _met, not_met, missing = _split(applicable, judgements)
    lines: list[str] = []
    for module_keys, title in _sections(doc):
        group = [c for c in applicable if c.module_key in module_keys]
        g_met, g_not, g_missing = _split(group, judgements)
        lines.append(
            f"{title}: {len(g_met)} of {len(group)} met"
            + (f", {len(g_not)} not met" if g_not else "")
            + (f", {len(g_missing)} not yet judged" if g_missing else "")
            + "."
        )
    overall: OverallGrade
    if not_met:
        overall = "not_yet_competent"
        lines.append(
            f"Overall: not yet competent — every item must be met; not met: {', '.join(not_met)}."
        )
    elif missing or not applicable:
        overall = "not_yet_assessed"
        lines.append(
            f"Overall: not yet assessed — {len(missing)} of {len(applicable)} still to be judged."
        )
    else:
        overall = "competent"
        lines.append(f"Overall: competent — all {len(applicable)} items are met.")
    return AssessmentResult(
        standard_key=doc.key,
        scheme=doc.scheme,
        overall=overall,
        distinction=None,
        grade=overall,
        headline=_LABEL[overall].capitalize(),
        overall_rule=None,
        methods=(),
        explanation=tuple(lines),
        distinction_undetermined=False,
        weighted_score=None,
        lowest="not_yet_competent" if not_met or missing or not applicable else "competent",
        highest="not_yet_competent" if not_met else "competent",
        not_met_refs=tuple(not_met),
        missing_refs=tuple(missing),
        contexts=chosen,
    )


def _sections(doc: StandardDoc) -> list[tuple[set[str], str]]:
    return [({m.key for m in s.modules}, s.title) for s in doc.sections]


def _join(names: Iterable[str], last: str = "and") -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {last} " + names[-1]


def _decimal(value: Fraction) -> str:
    """A fraction for people: 27/20 -> "1.35" (display only; comparisons stay exact)."""
    text = f"{float(value):.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
