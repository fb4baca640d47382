"""A 3-month review in the browser: the tutor sees the gaps, records an action and signs; the
line manager and the apprentice sign; the review becomes evidence; the 6-month review follows
up its action. axe checks every page, on a
phone-sized screen with no sideways scrolling."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def check(page) -> None:
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def open_bens_review(page, base: str, email: str, link: str = "Ben Turner", month: int = 3) -> None:
    sign_in(page, base, email)
    page.goto(base + "/")
    page.get_by_role("link", name=link).first.click()
    check(page)
    page.get_by_role("link", name="Progress reviews").first.click()
    assert page.get_by_role("heading", level=1, name="Progress reviews").is_visible()
    check(page)
    page.get_by_role("link", name=f"{month}-month review").click()
    assert page.get_by_role("heading", level=1, name=f"{month}-month review").is_visible()
    check(page)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_three_month_review_is_signed_by_all_three(live_server, page) -> None:
    base = live_server.url
    open_bens_review(page, base, "tutor@brightpath.test")
    gaps = page.locator(".gap-list")
    assert gaps.get_by_text("No evidence is tagged to this unit.").first.is_visible()
    assert gaps.get_by_text("Only the apprentice's own accounts").first.is_visible()
    page.get_by_label("Action", exact=True).fill(
        "Ask the shift supervisor for a witness statement."
    )
    page.get_by_label("Who will do it").select_option(label="Ben Turner (apprentice)")
    due = (dt.date.today() + dt.timedelta(days=21)).isoformat()
    page.get_by_label("By when").fill(due)
    page.get_by_role("button", name="Add action").click()
    assert page.get_by_text("Action recorded.").is_visible()
    assert page.get_by_role("cell", name="Ask the shift supervisor").is_visible()
    check(page)
    page.get_by_role("button", name="Sign this review").click()
    assert page.get_by_text("Signed.", exact=True).is_visible()
    check(page)
    sign_out(page)

    open_bens_review(page, base, "manager@northgate.test")
    page.get_by_role("button", name="Sign this review").click()
    assert page.get_by_text("Signed.", exact=True).is_visible()
    check(page)
    sign_out(page)

    open_bens_review(page, base, "ben@northgate.test", "Customer Service Practitioner")
    assert page.get_by_role("button", name="Save notes").count() == 0
    page.get_by_role("button", name="Sign this review").click()
    assert page.get_by_text("the review is saved as evidence").is_visible()
    assert page.get_by_text("Signed by everyone").first.is_visible()
    check(page)
    page.get_by_role("link", name="evidence", exact=True).click()
    assert page.get_by_role("heading", level=1, name="3-month progress review").is_visible()
    check(page)
    sign_out(page)

    # At the 6-month review the tutor says what became of the action agreed at 3 months.
    open_bens_review(page, base, "tutor@brightpath.test", month=6)
    followups = page.locator("section", has=page.get_by_role("heading", name="Actions from"))
    assert followups.get_by_text("Not followed up yet").is_visible()
    followups.get_by_label("What became of it").select_option(label="✓ Done")
    followups.get_by_label("Note (optional)").fill("Statement from Jo added.")
    followups.get_by_role("button", name="Save follow-up").click()
    assert page.get_by_text("Follow-up recorded.").is_visible()
    assert followups.get_by_text("Statement from Jo added.").first.is_visible()
    check(page)


def test_coverage_views_and_dashboard(live_server, page) -> None:
    base = live_server.url
    sign_in(page, base, "tutor@brightpath.test")
    page.goto(base + "/dashboard")
    assert page.get_by_role("heading", level=1, name="Cohort dashboard").is_visible()
    check(page)
    page.get_by_role("link", name="Amira Khan").click()
    assert page.get_by_role("heading", level=1, name="Coverage").is_visible()
    assert page.get_by_text("Gaps, explained").is_visible()
    check(page)
    for name in ("Evidence matrix", "Over time"):
        page.get_by_role("link", name=name).click()
        check(page)
    assert page.get_by_role("img", name="Share of units covered, month by month").is_visible()
    page.get_by_role("link", name="Progress reviews").click()
    page.get_by_role("link", name="3-month review").click()
    assert page.get_by_text("Signed by everyone").first.is_visible()
    check(page)
