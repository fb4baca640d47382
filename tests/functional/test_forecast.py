"""The gateway forecast from the database: accepted spells agree with the full replay of the
tag history, and the forecast shows on the coverage page and in the API."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random

import pytest
from sqlalchemy import delete, select, update

from showcase import db
from showcase.accounts.models import Role
from showcase.coverage import days
from showcase.coverage import forecast as fc
from showcase.coverage import services as coverage_services
from showcase.coverage.models import CoverageDay
from showcase.evidence import services as evidence
from showcase.evidence.models import Evidence, EvidenceKind, EvidenceTag, TagEvent
from showcase.jobs import get_jobs
from showcase.portfolios.models import Apprenticeship
from showcase.standards import sufficiency
from showcase.standards.services import rules_for
from tests.factories import accept, add_item, api_headers, tag

TODAY = dt.date.today()


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def backdate(item: Evidence, when: dt.datetime) -> None:
    """Move an item and every event of its tags to ``when`` (events a minute apart, in order)."""
    db.session.flush()
    db.session.execute(
        update(Evidence)
        .where(Evidence.id == item.id)
        .values(created_at=when, activity_date=when.date())
    )
    events = db.session.scalars(
        select(TagEvent)
        .join(EvidenceTag, TagEvent.tag_id == EvidenceTag.id)
        .where(EvidenceTag.evidence_id == item.id)
        .order_by(TagEvent.at, TagEvent.id)
    ).all()
    for i, event in enumerate(events):
        event.at = when + dt.timedelta(minutes=i)
    db.session.flush()


def gateway_refs(apprenticeship: Apprenticeship) -> list[str]:
    return [u.ref for u in fc.gateway_units(rules_for(apprenticeship.standard))]


def steady(apprenticeship: Apprenticeship, per_week: int, weeks: int = 12) -> None:
    """``per_week`` gateway units covered (accepted witness statements) in each of the last
    ``weeks`` weeks, the last ones yesterday."""
    units = iter(gateway_refs(apprenticeship))
    for k in range(weeks, 0, -1):
        for _ in range(per_week):
            item = add_item(apprenticeship, EvidenceKind.WITNESS_STATEMENT)
            accept(tag(item, next(units)))
            backdate(item, noon(TODAY - dt.timedelta(days=7 * k - 6)))


def random_walk(item: Apprenticeship, units: list[str], rng: random.Random) -> list[Evidence]:
    """Add, tag, review, untag and delete at random; the items made."""
    kinds = [EvidenceKind.WITNESS_STATEMENT] * 2 + [EvidenceKind.REFLECTIVE_ACCOUNT]
    items: list[Evidence] = []
    for _ in range(120):
        op = rng.choice(["add", "tag", "tag", "review", "review", "review", "remove", "delete"])
        live_items = [e for e in items if e.deleted_at is None]
        live_tags = [t for e in live_items for t in e.tags if t.removed_at is None]
        if op == "add" or not live_items:
            items.append(add_item(item, rng.choice(kinds)))
        elif op == "tag":
            target = rng.choice(live_items)
            taken = {t.reference.ref for t in target.tags if t.removed_at is None}
            free = [r for r in units if r not in taken]
            if free:
                tag(target, rng.choice(free))
        elif op == "review" and live_tags:
            accept(rng.choice(live_tags), yes=rng.random() < 0.7)
        elif op == "remove" and live_tags:
            evidence.remove_tag(item.apprentice, rng.choice(live_tags))
        elif op == "delete":
            evidence.delete_evidence(item.apprentice, rng.choice(live_items))
    return items


def story(make, seed: int = 16) -> tuple[Apprenticeship, list[Evidence]]:
    """An apprenticeship whose random story is spread over the last 14 weeks, each event at its
    own time, mostly in the order it happened (a tag's events sorted by time, as the replay
    does, may differ from their ids' order); items recorded before or after their tags' first
    event (a spell starts at the later of the two), dated before or after that, deleted at any
    time."""
    rng = random.Random(seed)
    item = make.apprenticeship(start_date=TODAY - dt.timedelta(days=200))
    units = gateway_refs(item)[:30]
    items = random_walk(item, units, rng)
    db.session.flush()
    events = db.session.scalars(
        select(TagEvent)
        .join(EvidenceTag, TagEvent.tag_id == EvidenceTag.id)
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .where(Evidence.apprenticeship_id == item.id)
        .order_by(TagEvent.id)
    ).all()
    start = noon(TODAY - dt.timedelta(weeks=14))
    step = (noon(TODAY) - start) / (len(events) + 1)
    for i, event in enumerate(events):
        event.at = start + step * i + dt.timedelta(hours=rng.randint(-72, 72))
    for e in items:
        first = min((ev.at for t in e.tags for ev in t.events), default=start)
        e.created_at = first + dt.timedelta(hours=rng.randint(-48, 24 * 14))
        e.activity_date = (e.created_at + dt.timedelta(days=rng.choice([-3, 0, 0, 10]))).date()
        if e.deleted_at is not None:
            e.deleted_at = e.created_at + dt.timedelta(days=rng.randint(1, 40))
    # And one item recorded ten days after its tag was accepted (an import, say): it counts
    # from its recording, not from the acceptance.
    late = add_item(item, EvidenceKind.WITNESS_STATEMENT)
    accept(tag(late, gateway_refs(item)[40]))
    backdate(late, noon(TODAY - dt.timedelta(days=20)))
    late.created_at = noon(TODAY - dt.timedelta(days=10))
    late.activity_date = TODAY - dt.timedelta(days=25)
    db.session.flush()
    return item, items


def test_spells_give_the_same_coverage_as_the_replay(make) -> None:
    item, items = story(make)
    # Every day, not only the weekly points: a spell's ends fall between any two of them.
    days = [TODAY - dt.timedelta(days=d) for d in range(100, -1, -1)]
    spells = fc.load_spells([item.id], days[0]).get(item.id, [])
    history = coverage_services.load_history(item)
    real = rules_for(item.standard)
    # The standard's rule (one accepted third-party item), and looser and stricter ones, so
    # every spell's ends matter somewhere.
    series = []
    for min_accepted, min_third in ((1, 1), (1, 0), (2, 0)):
        rules = dataclasses.replace(
            real,
            units=tuple(
                dataclasses.replace(u, min_accepted=min_accepted, min_third_party=min_third)
                for u in real.units
            ),
        )
        gateway = fc.gateway_units(rules)
        from_spells = fc.covered_series(gateway, spells, days)
        replayed = []
        for day in days:
            report = sufficiency.report_as_of(
                rules, history.evidence, history.tags, history.events, day
            )
            replayed.append(sum(report.by_ref[u.ref].covered for u in gateway))
        assert from_spells == replayed, (min_accepted, min_third)
        series.append(replayed)
    # The walk exercised what the spells must get right: units covered and lost again.
    assert all(max(s) > 0 and s != sorted(s) for s in series[:2]), series
    assert any(e.deleted_at is not None for e in items)


def test_steady_learner_gets_dates_a_range_and_a_colour(make) -> None:
    item = make.apprenticeship(start_date=TODAY - dt.timedelta(days=200))
    steady(item, per_week=2)
    item.planned_end_date = TODAY + dt.timedelta(days=3 * 365)
    db.session.flush()
    result = fc.forecast_for(item, TODAY)
    total = len(gateway_refs(item))
    assert result.status == "forecast" and result.covered == 24 and result.total == total
    assert result.pace.median == 2
    weeks = (total - 24) / 2
    assert result.likely == TODAY + dt.timedelta(days=math.ceil(weeks * 7))
    assert result.rag == "green"
    # The blocking units are the uncovered gateway units, each needing one accepted item.
    assert len(result.blockers) == total - 24
    assert {b.ref for b in result.blockers} == set(gateway_refs(item)[24:])
    item.planned_end_date = TODAY + dt.timedelta(days=30)
    assert fc.forecast_for(item, TODAY).rag == "red"


def test_pending_tags_put_a_unit_after_those_needing_new_evidence(make) -> None:
    item = make.apprenticeship()
    first, second = gateway_refs(item)[:2]
    tag(add_item(item, EvidenceKind.WITNESS_STATEMENT), first)
    db.session.flush()
    order = [b.ref for b in fc.forecast_for(item, TODAY).blockers]
    assert order.index(second) < order.index(first)
    assert order[-1] == first


def test_batched_forecasts_match_the_single_one(make) -> None:
    tutor = make.user(Role.TUTOR)
    a = make.apprenticeship(tutor=tutor, start_date=TODAY - dt.timedelta(days=300))
    b = make.apprenticeship(tutor=tutor, start_date=TODAY - dt.timedelta(days=10))
    steady(a, per_week=1)
    steady(b, per_week=1, weeks=1)
    batch = fc.forecasts_for([a.id, b.id], TODAY)
    for item in (a, b):
        single = fc.forecast_for(item, TODAY)
        assert batch[item.id].series == single.series
        assert (batch[item.id].status, batch[item.id].likely) == (single.status, single.likely)
    assert batch[b.id].status == "not_enough_history"
    assert fc.forecasts_for([], TODAY) == {}


def test_coverage_page_explains_the_forecast(login, make) -> None:
    item = make.apprenticeship(start_date=TODAY - dt.timedelta(days=200))
    steady(item, per_week=1)
    item.planned_end_date = TODAY + dt.timedelta(days=3 * 365)
    db.session.flush()
    expected = fc.forecast_for(item, TODAY)
    page = login(item.apprentice).get(f"/apprenticeships/{item.id}/coverage").text
    assert "Gateway forecast" in page
    assert expected.summary in page
    assert fc.METHOD in page
    assert "On course for the planned end" in page and "icon-check" in page
    assert "Units holding the date back" in page
    # A past date shows coverage as it stood, without a forecast.
    past = (TODAY - dt.timedelta(days=30)).isoformat()
    assert (
        "Gateway forecast"
        not in login(item.apprentice).get(f"/apprenticeships/{item.id}/coverage?as_of={past}").text
    )


def test_new_learner_gets_no_number(login, make) -> None:
    item = make.apprenticeship(start_date=TODAY - dt.timedelta(days=10))
    db.session.flush()
    page = login(item.tutor).get(f"/apprenticeships/{item.id}/coverage").text
    assert "Not enough evidence yet to forecast." in page
    assert "Likely" not in page


@pytest.mark.parametrize("planned", [None, 30])
def test_forecast_api(client, make, planned) -> None:
    item = make.apprenticeship(start_date=TODAY - dt.timedelta(days=200))
    steady(item, per_week=1)
    if planned is not None:
        item.planned_end_date = TODAY + dt.timedelta(days=planned)
    db.session.flush()
    response = client.get(
        f"/api/v1/apprenticeships/{item.id}/forecast", headers=api_headers(item.tutor)
    )
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "forecast" and body["method"] == fc.METHOD
    assert body["covered"] == 12 and body["pace"] == 1
    assert body["likely"] == fc.forecast_for(item, TODAY).likely.isoformat()
    assert len(body["series"]) == 13 and body["series"][-1]["covered"] == 12
    assert body["blockers"][0]["needed"] == 1
    if planned is None:
        assert body["rag"] is None and body["rag_words"] == "No planned end date, so no colour"
    else:
        assert body["rag"] == "red" and body["rag_words"].startswith("Off course")
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/apprenticeships/{apprenticeship_id}/forecast" in spec["paths"]


def test_strangers_cannot_read_a_forecast(client, make) -> None:
    item = make.apprenticeship()
    stranger = make.user(Role.TUTOR)
    db.session.flush()
    response = client.get(
        f"/api/v1/apprenticeships/{item.id}/forecast", headers=api_headers(stranger)
    )
    assert response.status_code == 404


# ------------------------------------------------------------- the stored days (coverage_days)


def stored(item: Apprenticeship) -> dict[dt.date, int]:
    rows = db.session.execute(
        select(CoverageDay.day, CoverageDay.units_covered).where(
            CoverageDay.apprenticeship_id == item.id
        )
    )
    return {day: count for day, count in rows}


def replayed(item: Apprenticeship, days: list[dt.date]) -> list[int]:
    """Gateway units covered at the end of each day, by replaying every event."""
    history = coverage_services.load_history(item)
    rules = rules_for(item.standard)
    gateway = fc.gateway_units(rules)
    counts = []
    for day in days:
        report = sufficiency.report_as_of(
            rules, history.evidence, history.tags, history.events, day
        )
        counts.append(sum(report.by_ref[u.ref].covered for u in gateway))
    return counts


def test_stored_days_give_the_replay_forecast(make, count_queries) -> None:
    item, _ = story(make)
    steady_one = make.apprenticeship(start_date=TODAY - dt.timedelta(days=200))
    steady(steady_one, per_week=2)
    ids = [item.id, steady_one.id]
    from_spells = fc.forecasts_for(ids, TODAY)
    assert not stored(item)
    written = days.refresh_days(ids, TODAY)
    # Every day of the window (twelve weeks up to yesterday), for both.
    assert written == 2 * fc.WEEKS * 7
    rows = stored(item)
    window = sorted(rows)
    assert window[0] == TODAY - dt.timedelta(weeks=fc.WEEKS)
    assert window[-1] == TODAY - dt.timedelta(days=1) and len(window) == fc.WEEKS * 7
    # Each stored count is what the full replay says for that day.
    assert [rows[d] for d in window] == replayed(item, window)
    assert len(set(rows.values())) > 2  # the story moves
    with count_queries() as statements:
        from_table = fc.forecasts_for(ids, TODAY)
    assert not any("tag_events" in s for s in statements), statements
    assert from_table == from_spells
    # And the series, today's point included (the rollup's count), is the replay's.
    for ident, apprenticeship in zip(ids, (item, steady_one), strict=True):
        series = from_table[ident].series
        assert [n for _, n in series] == replayed(apprenticeship, [d for d, _ in series])
    assert from_table[steady_one.id].status == "forecast"
    assert from_table[steady_one.id].likely == fc.forecast_for(steady_one, TODAY).likely


def test_a_stored_row_is_what_the_dashboard_reads(make) -> None:
    item = make.apprenticeship(start_date=TODAY - dt.timedelta(days=200))
    steady(item, per_week=1)
    days.refresh_days([item.id], TODAY)
    # A wrong row would show: the table, not the tags, gives the past points.
    db.session.execute(
        update(CoverageDay)
        .where(
            CoverageDay.apprenticeship_id == item.id,
            CoverageDay.day == TODAY - dt.timedelta(weeks=fc.WEEKS),
        )
        .values(units_covered=7)
    )
    assert fc.forecasts_for([item.id], TODAY)[item.id].series[0][1] == 7
    # A missing one sends the learner down the exact path.
    db.session.execute(delete(CoverageDay).where(CoverageDay.day == TODAY - dt.timedelta(weeks=1)))
    assert fc.forecasts_for([item.id], TODAY)[item.id].series[0][1] == 0


def test_a_day_rolling_over_fills_exactly_the_missing_rows_once(make) -> None:
    old = make.apprenticeship(start_date=TODAY - dt.timedelta(days=200))
    new = make.apprenticeship(start_date=TODAY - dt.timedelta(days=10))
    steady(old, per_week=1)
    yesterday = TODAY - dt.timedelta(days=1)
    assert days.refresh_days([old.id, new.id], yesterday) == fc.WEEKS * 7 + 9
    before = stored(old)
    assert max(before) == TODAY - dt.timedelta(days=2) and min(new_days := stored(new)) == (
        new.start_date
    )
    assert len(new_days) == 9
    # The next day: one new row each, the oldest dropped, nothing else rewritten.
    assert days.refresh_days([old.id, new.id], TODAY) == 2
    after = stored(old)
    assert set(after) - set(before) == {yesterday}
    assert set(before) - set(after) == {yesterday - dt.timedelta(weeks=fc.WEEKS)}
    assert all(after[d] == n for d, n in before.items() if d in after)
    assert after[yesterday] == replayed(old, [yesterday])[0]
    assert days.refresh_days([old.id, new.id], TODAY) == 0
    assert days.refresh_days([old.id, new.id], TODAY) == 0


def test_changing_the_past_drops_the_rows_and_a_decision_now_does_not(make) -> None:
    item = make.apprenticeship(start_date=TODAY - dt.timedelta(days=200))
    steady(item, per_week=1)
    days.refresh_days([item.id], TODAY)
    assert stored(item)
    # A decision today changes no closed day.
    accept(tag(add_item(item, EvidenceKind.WITNESS_STATEMENT), gateway_refs(item)[20]))
    db.session.flush()
    assert len(stored(item)) == fc.WEEKS * 7
    # An item's activity date moved back changes the past: the rows go, the forecast stays
    # exact (from the tags) until they are written again.
    first = db.session.scalars(
        select(Evidence).where(Evidence.apprenticeship_id == item.id).order_by(Evidence.id)
    ).first()
    first.activity_date = first.activity_date - dt.timedelta(days=30)
    db.session.flush()
    assert not stored(item)
    assert days.refresh_days([item.id], TODAY) == fc.WEEKS * 7
    window = sorted(stored(item))
    assert [stored(item)[d] for d in window] == replayed(item, window)


def test_rebuild_command_rebuilds_the_days_and_reports_drift(app, make) -> None:
    item = make.apprenticeship(start_date=TODAY - dt.timedelta(days=200))
    steady(item, per_week=1)
    days.refresh_days([item.id], TODAY)
    db.session.execute(
        update(CoverageDay)
        .where(CoverageDay.apprenticeship_id == item.id, CoverageDay.day == TODAY - dt.timedelta(3))
        .values(units_covered=99)
    )
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["coverage", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "forecast day rows" in result.output
    assert "1 differed from the stored table" in result.output
    assert stored(item)[TODAY - dt.timedelta(3)] == replayed(item, [TODAY - dt.timedelta(3)])[0]
    again = app.test_cli_runner().invoke(args=["coverage", "rebuild"])
    assert "(0 were missing); 0 differed from the stored table" in again.output


def test_the_daily_job_is_scheduled(app) -> None:
    scheduled = get_jobs(app).scheduled["coverage-days"]
    assert scheduled.func is days.refresh_all
    assert app.config[scheduled.cron_setting]
