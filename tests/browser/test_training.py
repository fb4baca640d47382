"""The off-the-job training pages on a 390 px phone, without script: Ben logs an activity, the
tutor returns one and approves another from the queue, the line manager sees Amira's statement
to sign, the provider's admin opens the plan. No sideways scrolling, no control under 24 × 24
px, and axe finds nothing serious on any page."""

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


def check(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url
    assert page.evaluate(SMALL) == [], page.url
    assert_accessible(page)


def _ids(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(User.email, Apprenticeship.id).join(
                Apprenticeship, Apprenticeship.apprentice_id == User.id
            )
        ).all()
        return dict(rows)


def test_training_pages_on_a_phone(live_server, page) -> None:
    base = live_server.url
    ids = _ids(live_server.app)
    ben, amira = ids["ben@northgate.test"], ids["amira@northgate.test"]

    sign_in(page, base, "ben@northgate.test")
    page.goto(f"{base}/apprenticeships/{ben}/training")
    expect(page.get_by_role("heading", level=1, name="Off-the-job training")).to_be_visible()
    expect(page.get_by_text("Returned").first).to_be_visible()
    check(page)
    page.get_by_role("link", name="Log an activity").click()
    page.get_by_label("Hours", exact=True).fill("1")
    page.get_by_label("Minutes", exact=True).fill("30")
    page.get_by_label("What kind of activity").select_option(label="Industry visit")
    page.get_by_label("What you did and what you learnt").fill("Visited the contact centre.")
    page.locator("details summary").first.click()
    page.locator("input[name=unit_refs]").first.check()
    check(page)
    page.get_by_role("button", name="Log it").click()
    expect(page.get_by_text("Logged.").first).to_be_visible()
    expect(page.get_by_text("Visited the contact centre.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "tutor@brightpath.test")
    page.goto(f"{base}/training/queue")
    check(page)
    visit = page.locator(".training-entry", has_text="Visited the contact centre.")
    visit.get_by_role("button", name="Return to the apprentice").click()
    expect(page.get_by_text("Say why the entry is returned").first).to_be_visible()
    visit = page.locator(".training-entry", has_text="Visited the contact centre.")
    visit.get_by_label("Comment").fill("Which team did you meet?")
    visit.get_by_role("button", name="Return to the apprentice").click()
    expect(page.get_by_text("Returned to the apprentice").first).to_be_visible()
    workshop = page.locator(".training-entry", has_text="communication skills")
    workshop.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved.").first).to_be_visible()
    expect(page.get_by_text("Nothing is waiting for you.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "manager@northgate.test")
    page.goto(f"{base}/apprenticeships/{amira}/training")
    expect(page.get_by_role("button", name="Sign the statement")).to_be_visible()
    check(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "office@brightpath.test")
    page.goto(f"{base}/admin/apprenticeships/{ben}/training-plan")
    assert page.get_by_label("Planned off-the-job hours").input_value() == "280"
    check(page)
