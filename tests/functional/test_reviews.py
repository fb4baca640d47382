"""Progress reviews: due dates, recording, sign-off by all three, the frozen snapshot that
becomes evidence, 409 after freezing, who may do what, and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Role
from showcase.errors import Forbidden, NotFound
from showcase.evidence.models import Evidence, EvidenceKind
from showcase.reviews import services
from showcase.reviews.models import ActionOutcome, ProgressReview
from showcase.standards.sufficiency import add_months
from tests.factories import accept, add_item, refs, sign_all, tag, write_own_sections


@pytest.fixture
def portfolio(make):
    return make.apprenticeship(start_date=add_months(dt.date.today(), -4))


def test_review_points_come_from_the_standard(login, portfolio) -> None:
    client = login(portfolio.tutor)
    page = client.get(f"/apprenticeships/{portfolio.id}/reviews").get_data(as_text=True)
    due3 = add_months(portfolio.start_date, 3)
    assert f"Due {due3:%-d %B %Y}" in page and "Overdue" in page
    assert "9-month review" in page
    assert client.get(f"/apprenticeships/{portfolio.id}/reviews/4").status_code == 404


def test_full_review_flow_freezes_and_becomes_evidence(login, client, portfolio) -> None:
    first = refs(portfolio)[0]
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), first))
    db.session.flush()
    base = f"/apprenticeships/{portfolio.id}/reviews/3"
    login(portfolio.tutor)
    page = client.get(base).get_data(as_text=True)
    assert "No evidence is tagged to this unit." in page and "1 of 116" in page
    assert client.post(f"{base}/notes", data={"notes": "Good start."}).status_code == 302
    response = client.post(
        f"{base}/actions",
        data={
            "text": "Get a witness statement for 1.2",
            "owner_id": portfolio.apprentice_id,
            "due_date": (dt.date.today() + dt.timedelta(days=14)).isoformat(),
        },
    )
    assert response.status_code == 302
    # Each party writes their own section before anybody signs (a change clears signatures);
    # test_review_sections.py writes them through the page.
    write_own_sections(services.find_review(portfolio, 3))
    assert client.post(f"{base}/sign").status_code == 302
    client.post("/sign-out")
    login(portfolio.line_manager)
    assert client.post(f"{base}/sign").status_code == 302
    client.post("/sign-out")
    login(portfolio.apprentice)
    assert client.post(f"{base}/sign").status_code == 302
    review = db.session.scalar(select(ProgressReview).where(ProgressReview.month == 3))
    assert review.is_frozen and review.snapshot["overall"] == {"covered": 1, "total": 116}
    assert first in review.snapshot["covered"]
    item = db.session.get(Evidence, review.evidence_id)
    assert item.kind is EvidenceKind.PROGRESS_REVIEW and item.file_id is None
    assert "Good start." in item.description and "Get a witness statement" in item.description
    # Frozen: every change answers 409 with a message.
    response = client.post(f"{base}/sign", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert "can no longer change" in response.get_json()["error"]["message"]
    client.post("/sign-out")
    login(portfolio.tutor)
    response = client.post(
        f"{base}/notes", data={"notes": "changed"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 409
    page = client.get(base).get_data(as_text=True)
    assert "Signed by everyone" in page and "Sign this review" not in page
    evidence_page = client.get(f"/apprenticeships/{portfolio.id}/evidence").get_data(as_text=True)
    assert "3-month progress review" in evidence_page


def test_changing_notes_clears_signatures(make, portfolio) -> None:
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    write_own_sections(review)
    services.sign_review(portfolio.tutor, review)
    services.sign_review(portfolio.apprentice, review)
    services.save_notes(portfolio.line_manager, review, "Something new")
    assert review.tutor_signed_at is None and review.apprentice_signed_at is None


def test_the_next_review_compares_with_the_last(make, portfolio) -> None:
    portfolio.start_date = add_months(dt.date.today(), -7)
    first, second = refs(portfolio)[:2]
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), first))
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    sign_all(review)
    accept(tag(add_item(portfolio, EvidenceKind.WITNESS_STATEMENT), second))
    later = services.ensure_review(portfolio.tutor, portfolio, 6)
    sign_all(later)
    assert services.previous_snapshot(later) == review.snapshot
    item = db.session.get(Evidence, later.evidence_id)
    assert "1 units newly covered" in item.description


@pytest.mark.parametrize("who", ["stranger_tutor", "admin"])
def test_only_parties_sign_and_only_reviewers_record(login, make, portfolio, who) -> None:
    base = f"/apprenticeships/{portfolio.id}/reviews/3"
    if who == "admin":
        user = make.user(Role.ADMIN, portfolio.employer)
        expected = 403  # sees the portfolio, but takes no part in reviews
    else:
        user = make.user(Role.TUTOR)
        expected = 404
    client = login(user)
    headers = {"Accept": "application/json"}
    assert client.post(f"{base}/sign", headers=headers).status_code == expected
    assert client.post(f"{base}/notes", data={"notes": "x"}, headers=headers).status_code == (
        expected
    )


def test_apprentice_signs_but_does_not_record(login, portfolio) -> None:
    write_own_sections(services.ensure_review(portfolio.tutor, portfolio, 3))
    client = login(portfolio.apprentice)
    base = f"/apprenticeships/{portfolio.id}/reviews/3"
    page = client.get(base).get_data(as_text=True)
    assert "Sign this review" in page and "Save notes" not in page
    response = client.post(
        f"{base}/notes", data={"notes": "x"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 403


def test_reviews_api(client, portfolio) -> None:
    from showcase.accounts import services as accounts

    tokens = {}
    for user in (portfolio.tutor, portfolio.line_manager, portfolio.apprentice):
        tokens[user.id] = {
            "Authorization": f"Bearer {accounts.create_api_token(user, name='t')[1]}"
        }
    db.session.flush()
    base = f"/api/v1/apprenticeships/{portfolio.id}/reviews"
    listing = client.get(base, headers=tokens[portfolio.tutor_id]).json
    assert [r["month"] for r in listing["items"]] == [3, 6, 9]
    assert listing["items"][0]["overdue"] is True and listing["items"][0]["recorded"] is False
    response = client.post(
        f"{base}/3/actions",
        json={
            "text": "Book an observation",
            "owner_id": portfolio.line_manager_id,
            "due_date": (dt.date.today() + dt.timedelta(days=7)).isoformat(),
        },
        headers=tokens[portfolio.tutor_id],
    )
    assert response.status_code == 201, response.json
    assert response.json["actions"][0]["owner"] == portfolio.line_manager.name
    for user, key in (
        (portfolio.tutor, "tutor_comments"),
        (portfolio.line_manager, "employer_comments"),
        (portfolio.apprentice, "apprentice_reflection"),
    ):
        response = client.put(
            f"{base}/3/sections/{key}", json={"text": "Written."}, headers=tokens[user.id]
        )
        assert response.status_code == 200, response.json
    for user_id in tokens:
        body = client.post(f"{base}/3/sign", headers=tokens[user_id]).json
    assert body["frozen_at"] and body["evidence_id"] and body["snapshot"]["overall"]["total"] == 116
    response = client.put(
        f"{base}/3/notes", json={"notes": "late"}, headers=tokens[portfolio.tutor_id]
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "review_signed"


def _signed_three_month_review_with_an_action(portfolio) -> tuple[ProgressReview, int]:
    portfolio.start_date = add_months(dt.date.today(), -7)
    review = services.ensure_review(portfolio.tutor, portfolio, 3)
    action = services.add_action(
        portfolio.tutor,
        review,
        text="Collect two witness statements",
        owner=portfolio.apprentice,
        due=dt.date.today(),
    )
    sign_all(review)
    return review, action.id


def test_the_next_review_follows_up_the_last_ones_actions(login, client, portfolio) -> None:
    _earlier, action_id = _signed_three_month_review_with_an_action(portfolio)
    base = f"/apprenticeships/{portfolio.id}/reviews/6"
    login(portfolio.tutor)
    page = client.get(base).get_data(as_text=True)
    assert "Actions from the 3-month review" in page and "Not followed up yet" in page
    assert "Collect two witness statements" in page
    fields = {f"followup-{action_id}-outcome": "done", f"followup-{action_id}-note": "Both in."}
    assert client.post(f"{base}/followups/{action_id}", data=fields).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "</svg> Done</span>" in page and "Both in." in page and "Not followed up yet" not in page

    review = services.find_review(portfolio, 6)
    write_own_sections(review)
    services.sign_review(portfolio.tutor, review)
    # A changed follow-up is a changed review: signatures so far are cleared.
    services.record_followup(
        portfolio.line_manager, review, action_id, ActionOutcome.IN_PROGRESS, "One so far."
    )
    assert review.tutor_signed_at is None
    for user in (portfolio.tutor, portfolio.line_manager, portfolio.apprentice):
        services.sign_review(user, review)
    item = db.session.get(Evidence, review.evidence_id)
    assert (
        "Actions from the previous review:\n- Collect two witness statements: Under way "
        "(One so far.)" in item.description
    )
    response = client.post(
        f"{base}/followups/{action_id}", data=fields, headers={"Accept": "application/json"}
    )
    assert response.status_code == 409


def test_only_the_previous_reviews_actions_are_followed_up(make, login, portfolio) -> None:
    earlier, action_id = _signed_three_month_review_with_an_action(portfolio)
    review = services.ensure_review(portfolio.tutor, portfolio, 6)
    own = services.add_action(
        portfolio.tutor, review, text="Later", owner=portfolio.tutor, due=dt.date.today()
    )
    other = make.apprenticeship(start_date=portfolio.start_date)
    _, foreign_id = _signed_three_month_review_with_an_action(other)
    for wrong in (own.id, foreign_id, 10**9):
        with pytest.raises(NotFound):
            services.record_followup(portfolio.tutor, review, wrong, ActionOutcome.DONE, "")
    with pytest.raises(Forbidden):
        services.record_followup(portfolio.apprentice, review, action_id, ActionOutcome.DONE, "")
    # The 9-month review follows up the 6-month one's actions once that is signed, not the 3's.
    sign_all(review)
    portfolio.start_date = add_months(dt.date.today(), -10)
    later = services.ensure_review(portfolio.tutor, portfolio, 9)
    with pytest.raises(NotFound):
        services.record_followup(portfolio.tutor, later, action_id, ActionOutcome.DONE, "")
    assert services.record_followup(portfolio.tutor, later, own.id, ActionOutcome.DONE, "")
    assert earlier.is_frozen and earlier.followups == []


def test_followups_in_the_api(client, portfolio) -> None:
    from showcase.accounts import services as accounts

    _earlier, action_id = _signed_three_month_review_with_an_action(portfolio)
    token = accounts.create_api_token(portfolio.line_manager, name="t")[1]
    db.session.flush()
    url = f"/api/v1/apprenticeships/{portfolio.id}/reviews/6/followups/{action_id}"
    headers = {"Authorization": f"Bearer {token}"}
    body = client.put(url, json={"outcome": "not_done", "note": "Ill"}, headers=headers).json
    assert body["followups"] == [{"action_id": action_id, "outcome": "not_done", "note": "Ill"}]
    assert client.put(url, json={"outcome": "maybe"}, headers=headers).status_code == 422
