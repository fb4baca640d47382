"""Reviews in the browser: Ben's signed 3-month review (the demo's) with every section, its
evidence item without the private wellbeing section, the line manager's view without it; the
6-month review follows up its targets in plain words and is moved with a reason. axe checks
every page, with no sideways scrolling. (tests/browser/test_review_journey.py holds a whole
review from the first section to the last signature.)"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def check(page) -> None:
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def open_bens_review(page, base: str, email: str, link: str = "Ben Turner", month: int = 3) -> None:
    sign_in(page, base, email)
    page.goto(base + "/")
    page.get_by_role("link", name=link, exact=True).first.click()
    check(page)
    page.get_by_role("link", name="Progress reviews").first.click()
    expect(page.get_by_role("heading", level=1, name="Progress reviews")).to_be_visible()
    check(page)
    page.get_by_role("link", name=f"{month}-month review").click()
    expect(page.get_by_role("heading", level=1, name=f"{month}-month review")).to_be_visible()
    check(page)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_bens_signed_review_and_the_next_one(live_server, page) -> None:
    base = live_server.url
    # The demo's 3-month review is signed by all three, every section written.
    open_bens_review(page, base, "tutor@brightpath.test")
    expect(page.get_by_text("Signed by everyone").first).to_be_visible()
    for key in ("apprentice_reflection", "employer_comments", "tutor_comments", "wellbeing"):
        expect(page.locator(f"#section-{key} .prose"), key).to_be_visible()
    expect(page.get_by_text("Private: only Ben Turner and the tutor see this")).to_be_visible()
    # The gaps are folded under their count (a phone's page stays short); opened, grouped.
    page.locator("#section-progress summary", has_text="not covered").click()
    gaps = page.locator(".gap-list")
    expect(gaps.get_by_text("No evidence is tagged to this unit.").first).to_be_visible()
    expect(page.get_by_role("cell", name="Ask Jo for a witness statement")).to_be_visible()
    page.get_by_role("link", name="evidence", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="3-month progress review")).to_be_visible()
    expect(page.get_by_text("The apprentice's reflection:")).to_be_visible()
    assert page.get_by_text("early shifts").count() == 0, "wellbeing never reaches the evidence"
    check(page)
    sign_out(page)

    open_bens_review(page, base, "manager@northgate.test")
    assert page.get_by_role("heading", name="Wellbeing and support").count() == 0
    assert page.get_by_text("early shifts").count() == 0
    expect(page.locator("#section-employer_comments .prose")).to_be_visible()
    sign_out(page)

    # At the 6-month review, booked in the demo, the tutor says what became of a target agreed
    # at 3 months (in plain words, no symbols) and moves the meeting.
    open_bens_review(page, base, "tutor@brightpath.test", month=6)
    expect(page.get_by_text("Northgate store, first-floor meeting room")).to_be_visible()
    followups = page.locator("li.card", has_text="Ask Jo for a witness statement")
    expect(followups.get_by_text("Not followed up yet")).to_be_visible()
    followups.get_by_text("Say what became of it").click()
    outcome = followups.get_by_label("What became of it")
    assert outcome.locator("option").all_inner_texts() == ["Done", "Under way", "Not done"]
    outcome.select_option(label="Done")
    followups.get_by_label("Note (optional)").fill("Statement from Jo added.")
    followups.get_by_role("button", name="Save follow-up").click()
    expect(page.get_by_text("Follow-up recorded.")).to_be_visible()
    expect(page.get_by_text("Statement from Jo added.").first).to_be_visible()
    check(page)
    page.get_by_text("Move the meeting").click()
    later = dt.date.today() + dt.timedelta(days=60)
    page.get_by_label("Date and time").fill(f"{later.isoformat()}T15:00")
    page.get_by_label("Why it moves").fill("Marcus is on leave that week.")
    page.get_by_role("button", name="Move and tell everyone").click()
    expect(page.get_by_text("Review moved: everyone gets the updated invitation.")).to_be_visible()
    expect(page.get_by_text(f"{later:%A %-d %B %Y}, 15:00").first).to_be_visible()
    page.get_by_text("Changes to the date (1)").click()
    expect(page.get_by_text("Marcus is on leave that week.")).to_be_visible()
    check(page)


def test_coverage_views_and_dashboard(live_server, page) -> None:
    base = live_server.url
    sign_in(page, base, "tutor@brightpath.test")
    page.goto(base + "/dashboard")
    expect(page.get_by_role("heading", level=1, name="Cohort dashboard")).to_be_visible()
    check(page)
    page.get_by_role("link", name="Amira Khan").click()
    expect(page.get_by_role("heading", level=1, name="Coverage")).to_be_visible()
    expect(page.get_by_role("heading", name="Gaps, explained")).to_be_visible()
    check(page)
    for name in ("Evidence matrix", "Over time"):
        page.get_by_role("link", name=name).click()
        check(page)
    expect(page.get_by_role("img", name="Share of units covered, month by month")).to_be_visible()
    page.get_by_role("link", name="Progress reviews").click()
    page.get_by_role("link", name="3-month review").click()
    expect(page.get_by_text("Signed by everyone").first).to_be_visible()
    check(page)
