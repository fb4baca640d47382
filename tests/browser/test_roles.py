"""Every role signs in through the real page and lands on its own home page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

HOMES = [
    ("amira@northgate.test", "My portfolio"),
    ("manager@northgate.test", "My apprentices"),
    ("tutor@brightpath.test", "My apprentices"),
    ("assessor@epa.test", "My assignments"),
    ("iqa@epa.test", "Quality assurance"),
    ("admin@showcase.test", "Administration"),
]


@pytest.mark.parametrize(("email", "heading"), HOMES)
def test_each_role_sees_its_home_page(live_server, page, email: str, heading: str) -> None:
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page)
    sign_in(page, live_server.url, email)
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    assert_accessible(page)
    # A 390 px phone shows the page without sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_apprentice_opens_portfolio_and_standard(live_server, page) -> None:
    sign_in(page, live_server.url, "amira@northgate.test")
    page.get_by_role("link", name="Customer Service Practitioner").first.click()
    expect(page.get_by_role("heading", level=1, name="Amira Khan")).to_be_visible()
    expect(page.get_by_text("Marcus Lee").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="ST0072 AP02").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Customer Service")
    assert_accessible(page)


def test_wrong_password_is_explained(live_server, page) -> None:
    sign_in(page, live_server.url, "amira@northgate.test", "not the password")
    assert page.get_by_role("alert").inner_text().startswith("That email and password do not match")
    assert_accessible(page)


def test_sign_out_ends_the_session(live_server, page) -> None:
    sign_in(page, live_server.url, "ben@northgate.test")
    cookies = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    # The cookies copied before signing out no longer open the portfolio.
    page.context.clear_cookies()
    page.context.add_cookies(cookies)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
