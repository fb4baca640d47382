"""The cohort dashboard a page at a time: stable keyset order, the complete CSV, the API's
pages, the forecast and off-the-job hours columns, and a query count that does not grow with
the cohort or the page."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from showcase import db
from showcase.accounts.models import Role
from showcase.coverage import days
from showcase.coverage import forecast as fc
from showcase.dashboard import services
from showcase.training.services import hours_status_for
from tests.factories import api_headers
from tests.functional.test_forecast import steady

TODAY = dt.date.today()


def cohort(make, tutor, n: int) -> list:
    """``n`` apprenticeships, several sharing a start date (the id breaks the tie)."""
    items = [
        make.apprenticeship(tutor=tutor, start_date=TODAY - dt.timedelta(days=200 - i // 3))
        for i in range(n)
    ]
    db.session.flush()
    return items


def ids_in(page: str, items) -> list[int]:
    """The apprenticeships linked from a page, in the order they appear."""
    found = [(page.find(f'/apprenticeships/{a.id}/coverage"'), a.id) for a in items]
    return [ident for at, ident in sorted(found) if at >= 0]


def test_pages_follow_start_date_then_id_without_gaps_or_repeats(login, make) -> None:
    tutor = make.user(Role.TUTOR)
    items = cohort(make, tutor, services.PAGE_SIZE + 5)
    expected = [a.id for a in sorted(items, key=lambda a: (a.start_date, a.id))]
    client = login(tutor)
    first = client.get("/dashboard").text
    assert f"Apprentices 1 to {services.PAGE_SIZE} of {len(items)}" in first
    assert ids_in(first, items) == expected[: services.PAGE_SIZE]
    last = items[[a.id for a in items].index(expected[services.PAGE_SIZE - 1])]
    cursor = f"{last.start_date.isoformat()}.{last.id}"
    assert f'href="/dashboard?after={cursor}" rel="next"' in first
    second = client.get(f"/dashboard?after={cursor}").text
    assert ids_in(second, items) == expected[services.PAGE_SIZE :]
    assert f"Apprentices {services.PAGE_SIZE + 1} to {len(items)} of {len(items)}" in second
    assert 'rel="next"' not in second and ">First page</a>" in second


@pytest.mark.parametrize(
    "after", ["yesterday", "2026-13-01.4", "2026-01-01", "2026-01-01.x", "2026-01-01." + "9" * 30]
)
def test_a_bad_position_is_422(login, make, after: str) -> None:
    tutor = make.user(Role.TUTOR)
    cohort(make, tutor, 1)
    assert login(tutor).get(f"/dashboard?after={after}").status_code == 422


def test_csv_stays_complete_across_pages(login, make, monkeypatch) -> None:
    # Small pages, so the CSV must read several of them.
    monkeypatch.setattr(services, "MAX_PAGE_SIZE", 4)
    tutor = make.user(Role.TUTOR)
    items = cohort(make, tutor, 11)
    steady(items[0], per_week=1)
    items[0].planned_end_date = TODAY + dt.timedelta(days=3 * 365)
    db.session.flush()
    body = login(tutor).get("/dashboard.csv").text
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(int(r["apprenticeship_id"]) for r in rows) == sorted(a.id for a in items)
    row = next(r for r in rows if r["apprenticeship_id"] == str(items[0].id))
    result = fc.forecast_for(items[0], TODAY)
    assert row["forecast"] == "forecast" and row["forecast_rag"] == "green"
    assert row["forecast_likely"] == result.likely.isoformat()
    assert row["planned_end_date"] == items[0].planned_end_date.isoformat()
    new = next(r for r in rows if r["apprenticeship_id"] == str(items[1].id))
    # Months on programme without a covered unit: no progress, so no date.
    assert new["forecast"] == "no_progress" and new["forecast_likely"] == ""
    assert new["forecast_rag"] == ""  # no planned end date
    hours = hours_status_for([items[1].id], TODAY)[items[1].id]
    assert new["otj_pace"] == hours.pace
    assert new["otj_hours_approved"] == services.format_hours(hours.approved_hours)


def test_forecast_and_hours_columns(login, make) -> None:
    tutor = make.user(Role.TUTOR)
    on_course, late, fresh = (
        make.apprenticeship(tutor=tutor, start_date=TODAY - dt.timedelta(days=200)),
        make.apprenticeship(tutor=tutor, start_date=TODAY - dt.timedelta(days=199)),
        make.apprenticeship(tutor=tutor, start_date=TODAY - dt.timedelta(days=10)),
    )
    steady(on_course, per_week=2)
    steady(late, per_week=1)
    on_course.planned_end_date = TODAY + dt.timedelta(days=3 * 365)
    late.planned_end_date = TODAY + dt.timedelta(days=20)
    db.session.flush()
    page = login(tutor).get("/dashboard").text
    assert "Gateway forecast" in page and "Off-the-job hours" in page
    assert fc.METHOD in page
    likely = fc.forecast_for(on_course, TODAY).likely
    assert likely.strftime("%-d %b %Y") in page
    # Red / amber / green in words with an icon, never colour alone.
    assert 'icon-check" aria-hidden="true" focusable="false"' in page and "On course" in page
    assert "Off course" in page and "icon-cross" in page
    assert "Not enough evidence yet" in page
    hours = hours_status_for([fresh.id], TODAY)[fresh.id]
    approved, expected = (
        services.format_hours(h) for h in (hours.approved_hours, hours.expected_hours)
    )
    assert f"{approved} of {expected} h" in page


def test_no_planned_end_means_no_colour(login, make) -> None:
    tutor = make.user(Role.TUTOR)
    item = make.apprenticeship(tutor=tutor, start_date=TODAY - dt.timedelta(days=200))
    steady(item, per_week=1)
    page = login(tutor).get("/dashboard").text
    assert "No planned end" in page
    assert "On course" not in page and "Off course" not in page and "At risk" not in page


def test_api_pages(client, make) -> None:
    tutor = make.user(Role.TUTOR)
    items = cohort(make, tutor, 7)
    steady(items[0], per_week=1)
    headers = api_headers(tutor)
    first = client.get("/api/v1/dashboard?limit=5", headers=headers).json
    assert first["total"] == 7 and first["offset"] == 0 and len(first["items"]) == 5
    assert first["next"]
    second = client.get(f"/api/v1/dashboard?limit=5&after={first['next']}", headers=headers).json
    assert second["next"] is None and second["offset"] == 5 and len(second["items"]) == 2
    seen = [i["apprenticeship_id"] for i in first["items"] + second["items"]]
    assert sorted(seen) == sorted(a.id for a in items) and len(set(seen)) == 7
    row = next(i for i in first["items"] if i["apprenticeship_id"] == items[0].id)
    assert row["forecast"]["status"] == "forecast" and row["forecast"]["blockers"] == []
    assert row["hours"]["pace"] in ("on_track", "behind", "no_plan")
    assert client.get("/api/v1/dashboard?limit=500", headers=headers).status_code == 422
    bad = client.get("/api/v1/dashboard?after=nope", headers=headers)
    assert bad.status_code == 422


def test_query_count_does_not_grow_with_the_cohort_or_the_page(login, make, count_queries) -> None:
    counts = []
    for n in (2, 12, services.PAGE_SIZE + 5):
        tutor = make.user(Role.TUTOR)
        items = cohort(make, tutor, n)
        for item in items[:3]:
            steady(item, per_week=1, weeks=6)
        client = login(tutor)
        client.get("/dashboard")  # warm caches (parsed standard)
        with count_queries() as statements:
            page = client.get("/dashboard")
            assert page.status_code == 200
        counts.append(len(statements))
        if n > services.PAGE_SIZE:
            after = page.text.split("/dashboard?after=", 1)[1].split('"', 1)[0]
            with count_queries() as statements:
                assert client.get(f"/dashboard?after={after}").status_code == 200
            counts.append(len(statements))
        client.post("/sign-out")
    # The user, the count, the page's rows, standards, reviews, the forecast's stored days and
    # (for learners without them, as here) spells, the hours (showcase.training's fixed few)
    # and the unread notifications.
    assert len(set(counts)) == 1, counts
    assert counts[0] <= 12, counts


def test_stored_days_spare_the_tag_history_and_a_page_writes_nothing(
    login, make, count_queries
) -> None:
    tutor = make.user(Role.TUTOR)
    items = cohort(make, tutor, 6)
    for item in items[:3]:
        steady(item, per_week=1 + items.index(item))
    items[0].planned_end_date = TODAY + dt.timedelta(days=3 * 365)
    db.session.flush()
    client = login(tutor)
    exact = client.get("/dashboard").text
    days.refresh_days([a.id for a in items], TODAY)
    with count_queries() as statements:
        page = client.get("/dashboard").text
    # The past points come from coverage_days: no tag event is read, and the page is the same.
    assert not any("tag_events" in s for s in statements), statements
    assert not any(
        s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in statements
    )
    assert page == exact
    likely = fc.forecast_for(items[0], TODAY).likely
    assert likely.strftime("%-d %b %Y") in page
    # One learner without its rows (new, or its past edited) is computed from the tags alone.
    late = make.apprenticeship(tutor=tutor, start_date=TODAY - dt.timedelta(days=100))
    steady(late, per_week=2, weeks=5)
    db.session.flush()
    with count_queries() as statements:
        page = client.get("/dashboard").text
    assert sum("tag_events" in s for s in statements) == 1
    assert fc.forecast_for(late, TODAY).likely.strftime("%-d %b %Y") in page
