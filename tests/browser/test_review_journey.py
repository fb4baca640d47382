"""Issue 16's "done when", on a 390 px phone: the apprentice writes their section and logs two
hours of off-the-job training; the tutor approves the entry, writes their sections and sets a
target; the line manager writes theirs and signs; everybody signs; the frozen review shows every
section and the hours, and the line manager's view leaves the wellbeing section out. axe checks
every page; no page scrolls sideways."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Role, User
from showcase.accounts.passwords import hash_password
from showcase.demo import DEMO_PASSWORD
from showcase.portfolios.services import create_apprenticeship
from showcase.standards.loaders import get_standard_or_404
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.viewport(390, 844)]

REFLECTION = "I took my first complaint call on my own and kept the customer."
EMPLOYER = "Sam is ready for the Saturday service desk."
TUTOR = "Good progress on the knowledge units; witness statements next."
WELLBEING = "Sam finds the bus to college hard on Mondays; we moved the session to Tuesdays."
TARGET = "Ask the shift supervisor for a witness statement about the complaint call."


def check(page) -> None:
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def _new_apprentice(app, email: str) -> int:
    """Sam, four months into ST0072 with Marcus (line manager) and Tara (tutor)."""
    with app.app_context():
        manager = db.session.scalar(select(User).where(User.email == "manager@northgate.test"))
        tutor = db.session.scalar(select(User).where(User.email == "tutor@brightpath.test"))
        apprentice = User(
            email=email,
            name="Sam Okafor",
            role=Role.APPRENTICE,
            organisation_id=manager.organisation_id,
            password_hash=hash_password(DEMO_PASSWORD),
        )
        db.session.add(apprentice)
        db.session.flush()
        item = create_apprenticeship(
            None,
            apprentice=apprentice,
            standard=get_standard_or_404("ST0072", "AP02"),
            start_date=dt.date.today() - dt.timedelta(days=125),
            line_manager=manager,
            tutor=tutor,
        )
        db.session.commit()
        return item.id


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def section(page, key: str):
    return page.locator(f"#section-{key}")


def written(page, key: str, words: str):
    """A section's words as shown (not the writer's box, which holds them too)."""
    return section(page, key).locator(".prose", has_text=words)


def test_a_review_held_on_a_phone(live_server, page) -> None:
    base = live_server.url
    email = "journey-sam@northgate.test"
    appr_id = _new_apprentice(live_server.app, email)
    review = f"{base}/apprenticeships/{appr_id}/reviews/3"

    # The apprentice logs two hours of off-the-job training and writes their reflection.
    sign_in(page, base, email)
    page.goto(f"{base}/apprenticeships/{appr_id}/training/new")
    check(page)
    page.get_by_label("Hours", exact=True).fill("2")
    page.get_by_label("Minutes", exact=True).fill("0")
    page.get_by_label("What kind of activity").select_option(label="Shadowing a colleague")
    page.get_by_label("What you did and what you learnt").fill(
        "Shadowed Jo on the returns desk for a morning."
    )
    page.get_by_role("button", name="Log it").click()
    expect(page.get_by_text("Logged.").first).to_be_visible()
    check(page)
    page.goto(review)
    expect(page.get_by_role("heading", level=1, name="3-month review")).to_be_visible()
    expect(page.get_by_text("Before you sign, write your part")).to_be_visible()
    check(page)
    mine = section(page, "apprentice_reflection")
    mine.get_by_label("Your words").fill(REFLECTION)
    mine.get_by_role("button", name="Save your section").click()
    expect(page.get_by_text("Your section is saved.")).to_be_visible()
    expect(written(page, "apprentice_reflection", REFLECTION)).to_be_visible()
    # The wellbeing section is the tutor's to write; the apprentice reads it.
    expect(section(page, "wellbeing").get_by_text("Not written yet.")).to_be_visible()
    check(page)
    sign_out(page)

    # The tutor approves the entry, writes their sections and sets a target.
    sign_in(page, base, "tutor@brightpath.test")
    page.goto(f"{base}/training/queue")
    entry = page.locator(".training-entry", has_text="Sam Okafor")
    entry.get_by_role("button", name="Approve").click()
    page.get_by_text("Approved.").first.wait_for()  # the queue comes back after the POST
    check(page)
    page.goto(review)
    hours = section(page, "off_the_job")
    expect(hours.get_by_text("2 hours approved")).to_be_visible()
    expect(
        section(page, "progress").get_by_role("heading", name="Gateway forecast")
    ).to_be_visible()
    for key, words in (("tutor_comments", TUTOR), ("wellbeing", WELLBEING)):
        section(page, key).get_by_label("Your words").fill(words)
        section(page, key).get_by_role("button", name="Save your section").click()
        expect(page.get_by_text("Your section is saved.")).to_be_visible()
    targets = section(page, "targets")
    targets.get_by_text("Add a target").click()
    targets.get_by_label("Target", exact=True).fill(TARGET)
    targets.get_by_label("Who will do it").select_option(label="Sam Okafor (apprentice)")
    targets.get_by_label("By when").fill((dt.date.today() + dt.timedelta(days=21)).isoformat())
    targets.get_by_role("button", name="Add target").click()
    expect(page.get_by_text("Action recorded.")).to_be_visible()
    expect(section(page, "targets").get_by_role("cell", name=TARGET)).to_be_visible()
    check(page)
    sign_out(page)

    # The line manager writes theirs and signs; wellbeing is not theirs to see.
    sign_in(page, base, "manager@northgate.test")
    page.goto(review)
    assert page.get_by_role("heading", name="Wellbeing and support").count() == 0
    assert page.get_by_text(WELLBEING).count() == 0
    section(page, "employer_comments").get_by_label("Your words").fill(EMPLOYER)
    section(page, "employer_comments").get_by_role("button", name="Save your section").click()
    expect(page.get_by_text("Your section is saved.")).to_be_visible()
    page.get_by_role("button", name="Sign this review").click()
    expect(page.get_by_text("Signed.", exact=True)).to_be_visible()
    check(page)
    sign_out(page)

    # The tutor and then the apprentice sign: the review freezes.
    sign_in(page, base, "tutor@brightpath.test")
    page.goto(review)
    page.get_by_role("button", name="Sign this review").click()
    expect(page.get_by_text("Signed.", exact=True)).to_be_visible()
    sign_out(page)
    sign_in(page, base, email)
    page.goto(review)
    page.get_by_role("button", name="Sign this review").click()
    expect(page.get_by_text("the review is saved as evidence")).to_be_visible()
    expect(page.get_by_text("Signed by everyone").first).to_be_visible()
    for key, words in (
        ("apprentice_reflection", REFLECTION),
        ("employer_comments", EMPLOYER),
        ("tutor_comments", TUTOR),
        ("wellbeing", WELLBEING),
    ):
        expect(written(page, key, words), key).to_be_visible()
    expect(section(page, "off_the_job").get_by_text("2 hours approved")).to_be_visible()
    expect(section(page, "targets").get_by_role("cell", name=TARGET)).to_be_visible()
    expect(section(page, "next_review").get_by_text("The 6-month review is due on")).to_be_visible()
    assert page.get_by_role("button", name="Save your section").count() == 0
    check(page)
    sign_out(page)

    # The signed review, as the line manager sees it: every section but the private one.
    sign_in(page, base, "manager@northgate.test")
    page.goto(review)
    expect(written(page, "employer_comments", EMPLOYER)).to_be_visible()
    expect(written(page, "apprentice_reflection", REFLECTION)).to_be_visible()
    assert page.get_by_text(WELLBEING).count() == 0
    expect(section(page, "off_the_job").get_by_text("2 hours approved")).to_be_visible()
    check(page)
