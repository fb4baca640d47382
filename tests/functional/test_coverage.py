"""Coverage through the pages and the API: the maintained rollup, gaps, past dates, the
matrix, the chart, the dashboard and its CSV, access, and query counts that do not grow."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest
from sqlalchemy import select, update

from showcase import db
from showcase.accounts.models import Role
from showcase.coverage import services as coverage_services
from showcase.coverage.cli import rollup_state
from showcase.coverage.models import CoverageRollup
from showcase.coverage.rollup import rebuild
from showcase.evidence import services as evidence
from showcase.evidence.models import Evidence, EvidenceKind, TagEvent
from showcase.portfolios.models import Apprenticeship
from showcase.standards.services import rules_for
from tests.factories import accept, add_item, refs, tag


@pytest.fixture
def portfolio(make) -> Apprenticeship:
    return make.apprenticeship(start_date=dt.date.today() - dt.timedelta(days=200))


def test_rollup_follows_tags_and_coverage_rules(portfolio) -> None:
    first, second = refs(portfolio)[:2]
    own = add_item(portfolio, EvidenceKind.REFLECTIVE_ACCOUNT)
    witness = add_item(portfolio, EvidenceKind.WITNESS_STATEMENT)
    t1 = accept(tag(own, first))
    report = coverage_services.live_report(portfolio)
    assert not report.by_ref[first].covered
    assert report.by_ref[first].gap.kind == "own_accounts_only"
    t2 = tag(witness, first)
    assert coverage_services.live_report(portfolio).by_ref[first].gap.kind == "needs_more"
    accept(t2)
    report = coverage_services.live_report(portfolio)
    assert report.by_ref[first].covered
    assert report.by_ref[first].tally.kinds == ("reflective_account", "witness_statement")
    assert report.overall.covered == 1
    # Sending back, removing, deleting and changing kind all flow into the rollup.
    accept(t2, yes=False)
    assert not coverage_services.live_report(portfolio).by_ref[first].covered
    accept(t2)
    evidence.update_evidence(
        portfolio.apprentice, witness, evidence.EvidenceDetails(kind=EvidenceKind.PHOTO)
    )
    assert not coverage_services.live_report(portfolio).by_ref[first].covered
    evidence.delete_evidence(portfolio.apprentice, own)
    row = db.session.get(CoverageRollup, (portfolio.id, t1.reference_id))
    assert row.tag_count == 1 and row.accepted_count == 1 and row.third_party_count == 0
    assert coverage_services.live_report(portfolio).by_ref[second].gap.kind == "no_evidence"


def test_rollup_matches_a_rebuild_after_random_operations(make) -> None:
    rng = random.Random(5)
    portfolios = [make.apprenticeship() for _ in range(2)]
    kinds = [EvidenceKind.REFLECTIVE_ACCOUNT, EvidenceKind.MANAGER_STATEMENT, EvidenceKind.PHOTO]
    items: list[Evidence] = []
    for _ in range(60):
        op = rng.choice(["add", "tag", "tag", "review", "review", "remove", "delete", "kind"])
        live_items = [e for e in items if e.deleted_at is None]
        live_tags = [t for e in live_items for t in e.tags if t.removed_at is None]
        if op == "add" or not live_items:
            items.append(add_item(rng.choice(portfolios), rng.choice(kinds)))
        elif op == "tag":
            item = rng.choice(live_items)
            taken = {t.reference.ref for t in item.tags if t.removed_at is None}
            free = [r for r in refs(item.apprenticeship)[:6] if r not in taken]
            if free:
                tag(item, rng.choice(free))
        elif op == "review" and live_tags:
            accept(rng.choice(live_tags), yes=rng.random() < 0.7)
        elif op == "remove" and live_tags:
            victim = rng.choice(live_tags)
            evidence.remove_tag(victim.evidence.apprenticeship.apprentice, victim)
        elif op == "delete":
            item = rng.choice(live_items)
            evidence.delete_evidence(item.apprenticeship.apprentice, item)
        elif op == "kind":
            item = rng.choice(live_items)
            evidence.update_evidence(
                item.apprenticeship.apprentice,
                item,
                evidence.EvidenceDetails(kind=rng.choice(kinds)),
            )
    db.session.flush()
    maintained = rollup_state()
    assert maintained, "the random walk should have tagged something"
    db.session.execute(update(CoverageRollup).values(tag_count=99, is_covered=True))
    rebuild(db.session)
    assert rollup_state() == maintained
    # And today's report from the rollup equals the report replayed from the tag history.
    for item in portfolios:
        today = dt.date.today()
        history = coverage_services.load_history(item)
        from showcase.standards import sufficiency as coverage

        replayed = coverage.report_as_of(
            rules_for(item.standard), history.evidence, history.tags, history.events, today
        )
        assert replayed.units == coverage_services.live_report(item, today).units


def test_coverage_as_of_a_past_date_replays_history(portfolio) -> None:
    first = refs(portfolio)[0]
    witness = add_item(portfolio, EvidenceKind.WITNESS_STATEMENT)
    t = accept(tag(witness, first))
    # Move the whole story back in time: created 30 days ago, accepted 10 days ago.
    long_ago = db.utcnow() - dt.timedelta(days=30)
    db.session.execute(
        update(Evidence).where(Evidence.id == witness.id).values(created_at=long_ago)
    )
    db.session.execute(
        update(Evidence)
        .where(Evidence.id == witness.id)
        .values(activity_date=dt.date.today() - dt.timedelta(days=30))
    )
    events = list(db.session.scalars(select(TagEvent).where(TagEvent.tag_id == t.id)))
    events[0].at = long_ago
    events[-1].at = db.utcnow() - dt.timedelta(days=10)
    db.session.flush()
    today = dt.date.today()
    at = coverage_services.report_at
    assert at(portfolio, today - dt.timedelta(days=40), today).by_ref[first].gap.kind == (
        "no_evidence"
    )
    assert at(portfolio, today - dt.timedelta(days=20), today).by_ref[first].gap.kind == (
        "not_accepted"
    )
    assert at(portfolio, today - dt.timedelta(days=5), today).by_ref[first].covered


def test_coverage_pages_render_for_each_party(login, portfolio) -> None:
    first = refs(portfolio)[0]
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT, "Till audit"), first))
    db.session.flush()
    for user in (portfolio.apprentice, portfolio.line_manager, portfolio.tutor):
        client = login(user)
        page = client.get(f"/apprenticeships/{portfolio.id}/coverage").get_data(as_text=True)
        assert "Gaps, explained" in page and "No evidence is tagged to this unit." in page
        assert '<th scope="row">Professional Discussion' in page  # the per-method table
        assert "3-month review" in page
        matrix = client.get(f"/apprenticeships/{portfolio.id}/coverage/matrix")
        assert matrix.status_code == 200 and "Till audit" in matrix.get_data(as_text=True)
        assert 'class="tag-accepted"><svg class="icon icon-check" aria-hidden="true"' in matrix.text
        chart = client.get(f"/apprenticeships/{portfolio.id}/coverage/history")
        body = chart.get_data(as_text=True)
        assert chart.status_code == 200 and "<svg" in body and "<title" in body
        assert "<desc" in body and "3m" in body and "Coverage at each month" in body
        past = client.get(
            f"/apprenticeships/{portfolio.id}/coverage?as_of={portfolio.start_date.isoformat()}"
        )
        assert past.status_code == 200
        client.post("/sign-out")


def test_strangers_get_404_and_bad_dates_422(login, make, portfolio) -> None:
    client = login(make.user(Role.TUTOR))
    for path in ("coverage", "coverage/matrix", "coverage/history", "reviews", "reviews/3"):
        assert client.get(f"/apprenticeships/{portfolio.id}/{path}").status_code == 404
    client.post("/sign-out")
    client = login(portfolio.tutor)
    assert client.get(f"/apprenticeships/{portfolio.id}/coverage?as_of=soon").status_code == 422


def test_dashboard_and_csv(login, make) -> None:
    tutor = make.user(Role.TUTOR)
    start = dt.date.today() - dt.timedelta(days=200)  # past the 3- and 6-month points
    a = make.apprenticeship(tutor=tutor, start_date=start)
    make.apprenticeship(tutor=tutor, start_date=dt.date.today())
    accept(tag(add_item(a, EvidenceKind.WITNESS_STATEMENT), refs(a)[0]))
    db.session.flush()
    client = login(tutor)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Cohort dashboard" in page and a.apprentice.name in page
    assert "3m overdue" in page
    response = client.get("/dashboard.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 2
    row = next(r for r in rows if r["apprenticeship_id"] == str(a.id))
    assert row["covered"] == "1" and row["total"] == "116"
    assert row["overdue_reviews"] == "3m 6m" and row["next_review_month"] == "3"
    assert row["months_to_gateway"] == "6" and row["pace"] == "behind"
    client.post("/sign-out")
    assert login(a.apprentice).get("/dashboard").status_code == 403


def _build_cohort(make, tutor, n_apprentices: int, n_items: int) -> list[Apprenticeship]:
    cohort = []
    for _ in range(n_apprentices):
        item = make.apprenticeship(tutor=tutor)
        for i in range(n_items):
            accept(tag(add_item(item, EvidenceKind.WITNESS_STATEMENT), refs(item)[i % 10]))
        cohort.append(item)
    db.session.flush()
    return cohort


# The dashboard's query count, with more learners and pages, is in test_dashboard.py.
@pytest.mark.parametrize("path", ["/apprenticeships/{id}/coverage"])
def test_query_counts_do_not_grow(login, make, count_queries, path: str) -> None:
    counts = []
    for n in (2, 12):
        tutor = make.user(Role.TUTOR)
        cohort = _build_cohort(make, tutor, n, n)
        client = login(tutor)
        url = path.format(id=cohort[0].id)
        client.get(url)  # warm caches (parsed standard)
        with count_queries() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
        client.post("/sign-out")
    # 6 today: the signed-in user, the apprenticeship, the rollup, the forecast's accepted
    # spells, the unread notifications, the reviews.
    assert counts[0] == counts[1] <= 6, counts


def test_coverage_api(client, make, portfolio) -> None:
    from showcase.accounts import services as accounts

    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), refs(portfolio)[0]))
    _, token = accounts.create_api_token(portfolio.tutor, name="test")
    db.session.flush()
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get(f"/api/v1/apprenticeships/{portfolio.id}/coverage", headers=headers).json
    assert body["overall"] == {
        "key": "overall",
        "title": "Overall",
        "covered": 1,
        "total": 116,
        "percent": 0,
    }
    assert body["units"][1]["gap"]["kind"] == "no_evidence"
    assert {m["key"] for m in body["methods"]} >= {"showcase", "observation"}
    dash = client.get("/api/v1/dashboard", headers=headers).json
    assert dash["items"][0]["covered"] == 1
    assert dash["items"][0]["next_review"]["month"] == 3
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/apprenticeships/{apprenticeship_id}/coverage" in spec["paths"]


def test_rebuild_command_reports_drift(app, portfolio) -> None:
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), refs(portfolio)[0]))
    db.session.execute(update(CoverageRollup).values(is_covered=False))
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["coverage", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 differed from the maintained table" in result.output
    assert coverage_services.live_report(portfolio).overall.covered == 1
