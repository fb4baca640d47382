"""Scheduling a review: the tutor books the meeting; the three parties get an invitation with a
calendar file; moving it needs a reason, keeps the history and sends the same event (UID) with a
higher SEQUENCE; only the tutor books; a signed review is not moved; and the API."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from showcase import db
from showcase.errors import Conflict, Forbidden, ValidationFailed
from showcase.mail.models import EmailDelivery
from showcase.reviews import services
from showcase.standards.sufficiency import add_months
from tests.factories import api_headers, sign_all

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def portfolio(make):
    return make.apprenticeship(start_date=add_months(dt.date.today(), -4))


def _invitations() -> list[EmailDelivery]:
    return list(
        db.session.scalars(
            select(EmailDelivery)
            .where(EmailDelivery.key.like("review-invitation:%"))
            .order_by(EmailDelivery.id)
        )
    )


def _calendar(delivery: EmailDelivery) -> str:
    (attachment,) = delivery.attachments
    assert attachment["content_type"].startswith("text/calendar")
    assert attachment["filename"].endswith(".ics")
    return attachment["content"]


def _in_days(days: int, hour: int = 14) -> dt.datetime:
    day = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 30), tzinfo=LONDON)


def test_the_tutor_books_and_all_three_get_an_invitation(login, client, portfolio) -> None:
    when = _in_days(20)
    base = f"/apprenticeships/{portfolio.id}/reviews/6"
    login(portfolio.tutor)
    page = client.get(base).get_data(as_text=True)
    assert "Not booked yet" in page and "Book and send invitations" in page
    response = client.post(
        f"{base}/schedule",
        data={
            "starts_at": when.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "45",
            "location": "Store meeting room; bring the rota",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get(base).get_data(as_text=True)
    assert "Review booked: everyone gets an invitation" in page
    assert f"{when:%A %-d %B %Y, %H:%M}" in page and "Store meeting room" in page
    review = services.find_review(portfolio, 6)
    assert review.scheduled_at == when and review.schedule_sequence == 0
    sent = _invitations()
    assert sorted(d.to_address for d in sent) == sorted(
        p.email for p in (portfolio.apprentice, portfolio.line_manager, portfolio.tutor)
    )
    mail = sent[0]
    assert "6-month progress review" in mail.subject and "Moved" not in mail.subject
    assert f"When: {when:%A %-d %B %Y, %H:%M}" in mail.text and "for 45 minutes" in mail.text
    calendar = _calendar(mail)
    start = when.astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=45)
    assert f"UID:review-{portfolio.id}-6@showcase\r\n" in calendar
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n" in calendar
    assert f"DTEND:{end:%Y%m%dT%H%M%SZ}\r\n" in calendar
    assert "SEQUENCE:0\r\n" in calendar
    assert "LOCATION:Store meeting room\\; bring the rota\r\n" in calendar


def test_moving_needs_a_reason_keeps_the_history_and_updates_the_event(portfolio) -> None:
    review = services.ensure_review(portfolio.tutor, portfolio, 6)
    first = services.schedule_review(
        portfolio.tutor, review, starts_at=_in_days(10), location="Room 1"
    )
    with pytest.raises(ValidationFailed) as error:
        services.schedule_review(portfolio.tutor, review, starts_at=_in_days(12))
    assert error.value.field == "reason"
    with pytest.raises(ValidationFailed, match="already"):
        services.schedule_review(
            portfolio.tutor, review, starts_at=_in_days(10), location="Room 1", reason="x"
        )
    moved = services.schedule_review(
        portfolio.tutor,
        review,
        starts_at=_in_days(12, hour=9),
        duration_minutes=90,
        location="https://meet.example/abc",
        reason="Marcus is on leave that week.",
    )
    assert [c.id for c in review.schedule_changes] == [first.id, moved.id]
    assert (first.sequence, moved.sequence, review.schedule_sequence) == (0, 1, 1)
    assert moved.reason == "Marcus is on leave that week."
    assert moved.changed_by_id == portfolio.tutor_id and first.scheduled_at == _in_days(10)
    sent = _invitations()
    assert len(sent) == 6
    updates = [d for d in sent if d.key.startswith(f"review-invitation:{moved.id}:")]
    assert len(updates) == 3 and all(d.subject.startswith("Moved: ") for d in updates)
    assert "Why it moved: Marcus is on leave that week." in updates[0].text
    calendar = _calendar(updates[0])
    assert f"UID:review-{portfolio.id}-6@showcase\r\n" in calendar
    assert "SEQUENCE:1\r\n" in calendar and "LOCATION:https://meet.example/abc" in calendar
    # The "waiting for your signature" email carries the same event, as it stands now.
    from showcase.notifications.events import review_invitation

    (waiting,) = review_invitation(review)
    assert "SEQUENCE:1\r\n" in waiting["content"]


def test_only_the_tutor_books_and_never_in_the_past_or_once_signed(portfolio) -> None:
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    for user in (portfolio.apprentice, portfolio.line_manager):
        with pytest.raises(Forbidden):
            services.schedule_review(user, review, starts_at=_in_days(5))
    for wrong, field in (
        (_in_days(-1), "starts_at"),
        (_in_days(900), "starts_at"),
        (_in_days(5).replace(tzinfo=None), "starts_at"),
    ):
        with pytest.raises(ValidationFailed) as error:
            services.schedule_review(portfolio.tutor, review, starts_at=wrong)
        assert error.value.field == field
    with pytest.raises(ValidationFailed) as error:
        services.schedule_review(portfolio.tutor, review, starts_at=_in_days(5), duration_minutes=5)
    assert error.value.field == "duration_minutes"
    assert review.scheduled_at is None and _invitations() == []
    sign_all(review)
    with pytest.raises(Conflict):
        services.schedule_review(portfolio.tutor, review, starts_at=_in_days(5))


def test_the_page_shows_a_form_error_and_the_history(login, client, portfolio) -> None:
    base = f"/apprenticeships/{portfolio.id}/reviews/6"
    login(portfolio.tutor)
    form = {"starts_at": _in_days(8).strftime("%Y-%m-%dT%H:%M"), "duration_minutes": "60"}
    assert client.post(f"{base}/schedule", data=form).status_code == 302
    moved = {**form, "starts_at": _in_days(9).strftime("%Y-%m-%dT%H:%M")}
    page = client.post(f"{base}/schedule", data=moved).get_data(as_text=True)
    assert "Say why the review moves" in page and 'aria-invalid="true"' in page
    moved["reason"] = "The store is closed for stocktaking."
    assert client.post(f"{base}/schedule", data=moved).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Review moved: everyone gets the updated invitation." in page
    assert "Changes to the date (1)" in page and "The store is closed for stocktaking." in page
    client.post("/sign-out")
    page = login(portfolio.apprentice).get(base).get_data(as_text=True)
    assert "Move the meeting" not in page and f"{_in_days(9):%-d %B %Y, %H:%M}" in page
    listing = client.get(f"/apprenticeships/{portfolio.id}/reviews").get_data(as_text=True)
    assert f"Meeting: {_in_days(9):%A %-d %B %Y, %H:%M}" in listing
    response = client.post(f"{base}/schedule", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 403


def test_scheduling_through_the_api(client, portfolio) -> None:
    url = f"/api/v1/apprenticeships/{portfolio.id}/reviews/6/schedule"
    tutor = api_headers(portfolio.tutor)
    when = _in_days(15).astimezone(dt.UTC)
    body = {"starts_at": when.isoformat(), "location": "Online"}
    response = client.put(url, json=body, headers=tutor)
    assert response.status_code == 200, response.json
    schedule = response.json["schedule"]
    assert schedule["sequence"] == 0 and schedule["duration_minutes"] == 60
    assert dt.datetime.fromisoformat(schedule["scheduled_at"]) == when
    response = client.put(url, json={**body, "starts_at": _in_days(16).isoformat()}, headers=tutor)
    assert response.status_code == 422 and response.json["error"]["field"] == "reason"
    response = client.put(
        url,
        json={**body, "starts_at": _in_days(16).isoformat(), "reason": "Clash"},
        headers=tutor,
    )
    history = response.json["schedule"]["history"]
    assert [h["sequence"] for h in history] == [0, 1] and history[1]["reason"] == "Clash"
    assert history[1]["changed_by"] == portfolio.tutor.name
    naive = {"starts_at": when.replace(tzinfo=None).isoformat()}
    assert client.put(url, json=naive, headers=tutor).status_code == 422
    for other in (portfolio.line_manager, portfolio.apprentice):
        assert client.put(url, json=body, headers=api_headers(other)).status_code == 403
    listing = client.get(
        f"/api/v1/apprenticeships/{portfolio.id}/reviews", headers=api_headers(portfolio.apprentice)
    ).json
    assert listing["items"][1]["schedule"]["sequence"] == 1
    doc = client.get("/api/v1/openapi.json").json
    put = doc["paths"]["/api/v1/apprenticeships/{apprenticeship_id}/reviews/{month}/schedule"]
    assert {"200", "403", "409", "422"} <= set(put["put"]["responses"])
