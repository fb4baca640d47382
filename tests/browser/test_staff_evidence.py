"""Staff recording and the comment thread on a 390 px phone, without script: the tutor records
an observation for Ben and comments on it; Ben replies and includes the tutor's comment with
his showcase; the line manager reads the thread. No sideways scrolling, no control under
24 × 24 px, and axe finds nothing serious on any page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.portfolios.models import Apprenticeship
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.viewport(390, 844)]

SMALL = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), button, select, textarea, a.button')].flatMap(el => {
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return [];
  return box.width >= 23.5 && box.height >= 23.5 ? [] : [el.id || el.name || el.textContent];
})"""


def check(page, *, controls: bool = True) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url
    if controls:
        assert page.evaluate(SMALL) == [], page.url
    assert_accessible(page)


def _ben(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Apprenticeship.id)
            .join(User, Apprenticeship.apprentice_id == User.id)
            .where(User.email == "ben@northgate.test")
        )


def test_record_comment_reply_and_include_on_a_phone(live_server, page) -> None:
    base = live_server.url
    ben = _ben(live_server.app)

    sign_in(page, base, "tutor@brightpath.test")
    page.goto(f"{base}/apprenticeships/{ben}/evidence")
    assert page.get_by_text("Recorded by Tara Singh, tutor").first.is_visible()  # the demo's
    check(page)
    page.get_by_role("link", name="Record evidence for Ben Turner").click()
    expect(
        page.get_by_role("heading", level=1, name="Record evidence for Ben Turner")
    ).to_be_visible()
    # The upload form's file inputs are styled away behind their labels (as for apprentices).
    check(page, controls=False)
    page.get_by_label("Title").fill("Observation: opening the store")
    page.get_by_label("Kind of evidence").select_option(label="Professional discussion")
    page.get_by_label("Date of the activity").fill("2026-11-20")
    page.get_by_label("Your account").fill(
        "We discussed how Ben opens the store and checks the float before customers arrive."
    )
    page.get_by_role("button", name="Add written evidence").click()
    expect(
        page.get_by_role("heading", level=1, name="Observation: opening the store")
    ).to_be_visible()
    expect(page.get_by_text("Recorded by Tara Singh, tutor, on")).to_be_visible()
    page.get_by_label("Your comment").fill("Well explained. Add the float sheet if you can.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_role("status").filter(has_text="Comment added.")).to_be_visible()
    check(page)
    url = page.url.split("#")[0]
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "ben@northgate.test")
    page.goto(url)
    expect(page.get_by_text("Well explained. Add the float sheet")).to_be_visible()
    assert page.get_by_role("heading", name="Edit details").count() == 0  # not his to change
    page.get_by_label("Your comment").fill("Thanks Tara, I'll upload the float sheet tomorrow.")
    page.get_by_role("button", name="Add comment").click()
    page.get_by_role("button", name="Include with my showcase").first.click()
    expect(page.get_by_text("Included with the showcase")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "manager@northgate.test")
    page.goto(url)
    expect(page.get_by_text("I'll upload the float sheet tomorrow.")).to_be_visible()
    assert page.get_by_role("button", name="Include with my showcase").count() == 0
    check(page)
