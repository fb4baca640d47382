"""The pure coverage rules: tallies, sufficiency, gaps, groups, history replay and calendar."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from showcase.standards import bundled_docs
from showcase.standards import sufficiency as cov

THIRD = frozenset({"witness_statement", "manager_statement"})
RULE = cov.UnitRule("X/m/1", "m", "1", "Do the thing", 2, 1, THIRD)


def fact(kind: str, status: str, ref: str = "X/m/1", evidence_id: int = 1) -> cov.TagFact:
    return cov.TagFact(ref, evidence_id, kind, status)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def st0072() -> cov.StandardRules:
    doc = bundled_docs()["ST0072/AP02"]
    return cov.rules_from_doc(doc)


def test_rules_come_from_the_standard(st0072: cov.StandardRules) -> None:
    assert len(st0072.units) == 116
    assert st0072.review_points_months == (3, 6, 9)
    assert st0072.gateway_min_months == 12
    groups = {g.key: g for g in st0072.groups}
    assert {"showcase", "observation", "professional-discussion"} <= set(groups)
    assert "knowing-your-customers" in groups["professional-discussion"].module_keys
    assert groups["observation-mandatory"].module_keys == (
        "presentation",
        "equality",
        "interpersonal-skills",
        "communication",
        "personal-organisation",
    )
    assert all(u.min_accepted == 1 and u.min_third_party == 1 for u in st0072.units)
    assert "progress_review" in st0072.units[0].third_party_kinds


def test_covered_needs_enough_accepted_and_third_party() -> None:
    own = [fact("reflective_account", "accepted"), fact("work_product", "accepted")]
    assert not cov.is_covered(RULE, cov.tally(own, THIRD))
    mixed = [fact("reflective_account", "accepted"), fact("witness_statement", "accepted")]
    counts = cov.tally(mixed, THIRD)
    assert counts.accepted == 2 and counts.third_party_accepted == 1
    assert cov.is_covered(RULE, counts)
    assert counts.kinds == ("reflective_account", "witness_statement")


@pytest.mark.parametrize(
    ("facts", "kind"),
    [
        ([], "no_evidence"),
        ([fact("reflective_account", "accepted")], "own_accounts_only"),
        ([fact("witness_statement", "pending"), fact("photo", "sent_back")], "not_accepted"),
        ([fact("witness_statement", "sent_back")], "not_accepted"),
        ([fact("witness_statement", "accepted"), fact("photo", "pending")], "needs_more"),
        ([fact("witness_statement", "pending"), fact("photo", "accepted")], "needs_more"),
    ],
)
def test_each_gap_says_why_and_what_closes_it(facts: list[cov.TagFact], kind: str) -> None:
    gap = cov.gap_for(RULE, cov.tally(facts, THIRD))
    assert gap is not None and gap.kind == kind
    assert gap.reason.endswith(".") and gap.action.endswith(".")


def test_all_sent_back_is_explained_as_such() -> None:
    gap = cov.gap_for(RULE, cov.tally([fact("witness_statement", "sent_back")], THIRD))
    assert gap is not None and "sent back" in gap.reason


def test_report_groups_modules_methods_and_overall(st0072: cov.StandardRules) -> None:
    first = st0072.units[0]
    tallies = {
        first.ref: cov.tally([fact("witness_statement", "accepted", first.ref)], THIRD),
    }
    report = cov.build_report(st0072, tallies, dt.date(2026, 1, 1))
    assert report.overall.covered == 1 and report.overall.total == 116
    module = next(m for m in report.modules if m.key == first.module_key)
    assert module.covered == 1 and first.ref not in module.gap_refs
    assert len(report.gaps) == 115
    assert report.by_ref[first.ref].covered
    assert sum(m.total for m in report.modules) == 116
    assert report.overall.percent == 0  # 1/116 rounds down


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 1, day, hour, tzinfo=dt.UTC)


def test_history_replays_tag_states_at_a_date() -> None:
    evidence = [
        cov.EvidenceRecord(1, "witness_statement", dt.date(2026, 1, 1), at(1), None),
        cov.EvidenceRecord(2, "witness_statement", dt.date(2026, 1, 1), at(1), at(10)),
    ]
    tags = [cov.TagRecord(10, 1, "X/m/1"), cov.TagRecord(20, 2, "X/m/1")]
    events = [
        cov.EventRecord(10, "created", at(1)),
        cov.EventRecord(10, "accepted", at(3)),
        cov.EventRecord(10, "edited", at(5)),
        cov.EventRecord(10, "sent_back", at(7)),
        cov.EventRecord(10, "removed", at(8)),
        cov.EventRecord(10, "restored", at(9)),
        cov.EventRecord(20, "created", at(1)),
    ]

    def states(day: int) -> list[str]:
        facts = cov.facts_as_of(evidence, tags, events, dt.date(2026, 1, day))
        return sorted(f"{f.evidence_id}:{f.status}" for f in facts)

    assert states(1) == ["1:pending", "2:pending"]
    assert states(3) == ["1:accepted", "2:pending"]
    assert states(5) == ["1:pending", "2:pending"]
    assert states(7) == ["1:sent_back", "2:pending"]
    assert states(8) == ["2:pending"]
    assert states(9) == ["1:pending", "2:pending"]
    assert states(10) == ["1:pending"]  # item 2 deleted on the 10th


def test_evidence_created_later_or_dated_later_is_not_counted() -> None:
    evidence = [cov.EvidenceRecord(1, "photo", dt.date(2026, 1, 5), at(2), None)]
    tags = [cov.TagRecord(1, 1, "X/m/1")]
    events = [cov.EventRecord(1, "created", at(2))]
    assert cov.facts_as_of(evidence, tags, events, dt.date(2026, 1, 4)) == []
    assert len(cov.facts_as_of(evidence, tags, events, dt.date(2026, 1, 5))) == 1


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2026, 11, 15), 3, dt.date(2027, 2, 15)),
        (dt.date(2026, 3, 1), 12, dt.date(2027, 3, 1)),
    ],
)
def test_review_points_are_calendar_months(start: dt.date, months: int, due: dt.date) -> None:
    assert cov.add_months(start, months) == due
    assert cov.review_due_dates(start, [months]) == [(months, due)]


def test_pace_against_time_to_gateway() -> None:
    assert cov.expected_share(6, 12) == 0.5
    assert cov.expected_share(18, 12) == 1.0
    assert cov.expected_share(3, None) is None
    assert cov.pace(0.5, 0.5) == "on_track"
    assert cov.pace(0.49, 0.5) == "behind"
    assert cov.pace(0.1, None) == "unknown"


def test_changes_between_snapshots(st0072: cov.StandardRules) -> None:
    a, b = st0072.units[0].ref, st0072.units[1].ref
    before = {"covered": [a], "evidenced": [a]}
    after = {"covered": [b], "evidenced": [a, b]}
    diff = cov.changes(before, after)
    assert diff.newly_covered == (b,)
    assert diff.newly_evidenced == (b,)
    assert diff.no_longer_covered == (a,)


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))


@given(dates, st.integers(min_value=0, max_value=60))
def test_months_between_inverts_add_months(start: dt.date, months: int) -> None:
    due = cov.add_months(start, months)
    assert cov.months_between(start, due) == months
    if months:
        assert cov.months_between(start, due - dt.timedelta(days=1)) == months - 1


statuses = st.sampled_from(["pending", "accepted", "sent_back"])
kinds = st.sampled_from(["witness_statement", "reflective_account", "photo", "manager_statement"])


@given(st.lists(st.tuples(kinds, statuses), max_size=12), st.integers(0, 3), st.integers(0, 3))
def test_a_gap_exactly_when_not_covered(tags, min_accepted: int, min_third: int) -> None:
    rule = cov.UnitRule("X/m/1", "m", "1", "t", min_accepted, min_third, THIRD)
    counts = cov.tally([fact(k, s) for k, s in tags], THIRD)
    assert counts.tag_count == counts.accepted + counts.pending + counts.sent_back == len(tags)
    assert counts.third_party_accepted <= min(counts.third_party, counts.accepted)
    assert (cov.gap_for(rule, counts) is None) == cov.is_covered(rule, counts)
    # Accepting a pending tag never loses coverage (monotone).
    if cov.is_covered(rule, counts):
        more = [fact(k, "accepted" if s == "pending" else s) for k, s in tags]
        assert cov.is_covered(rule, cov.tally(more, THIRD))


def test_gaps_group_by_reason_and_remedy(st0072: cov.StandardRules) -> None:
    first, second = st0072.units[0], st0072.units[1]
    tallies = {
        first.ref: cov.tally([fact("reflective_account", "accepted", first.ref)], THIRD),
        second.ref: cov.tally([fact("reflective_account", "pending", second.ref)], THIRD),
    }
    groups = cov.group_gaps(cov.build_report(st0072, tallies, dt.date(2026, 1, 1)))
    assert [g.gap.kind for g in groups] == ["no_evidence", "own_accounts_only"]
    assert len(groups[0].units) == 114
    assert [u.ref for u in groups[1].units] == [first.ref, second.ref]
