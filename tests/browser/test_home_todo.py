"""Everyone's next step, in the browser: the apprentice finds a sent-back tag on their home
page (and in their email); the line manager opens the "waiting for your signature" email's
link, signs in and signs. On a 1280 px desktop and a 390 px phone, axe clean on every page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Role, User
from showcase.accounts.passwords import hash_password
from showcase.demo import DEMO_PASSWORD
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind
from showcase.mail.models import OutboxMessage
from showcase.portfolios.services import create_apprenticeship
from showcase.reviews import services as reviews
from showcase.standards.loaders import get_standard_or_404
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import write_own_sections

pytestmark = pytest.mark.browser

VIEWPORTS = [
    pytest.param(1280, marks=pytest.mark.viewport(1280, 800), id="desktop"),
    pytest.param(390, marks=pytest.mark.viewport(390, 844), id="phone"),
]


def check(page) -> None:
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _new_apprentice(app, email: str, name: str, days: int) -> int:
    """A new apprentice of Marcus (line manager) and Tara (tutor), ``days`` into ST0072."""
    with app.app_context():
        manager = _user("manager@northgate.test")
        apprentice = User(
            email=email,
            name=name,
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
            start_date=dt.date.today() - dt.timedelta(days=days),
            line_manager=manager,
            tutor=_user("tutor@brightpath.test"),
        )
        db.session.commit()
        return item.id


def _emails_to(app, email: str) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to == email).order_by(OutboxMessage.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_apprentice_sees_a_sent_back_tag_at_home_and_by_email(
    live_server, page, width: int
) -> None:
    app, base = live_server.app, live_server.url
    assert page.viewport_size["width"] == width
    email = f"todo-tag-{width}@northgate.test"
    appr_id = _new_apprentice(app, email, "Priya Shah", 100)
    with app.app_context():
        from showcase.portfolios.models import Apprenticeship

        item = db.session.get(Apprenticeship, appr_id)
        reflection = evidence.add_evidence(
            item.apprentice,
            item,
            storage=None,
            stream=None,
            filename=None,
            max_bytes=0,
            details=evidence.EvidenceDetails(
                title="Reflection on my first complaint",
                kind=EvidenceKind.REFLECTIVE_ACCOUNT,
                description="What I did when a customer complained about a refund.",
            ),
        )
        tag = evidence.tag_evidence(
            item.apprentice,
            reflection,
            ref="ST0072/dealing-with-customer-conflict-and-challenge/2.1",
            justification="I stayed calm.",
        )
        evidence.review_tag(
            item.tutor, tag, accept=False, comment="Say what you did, step by step."
        )
        db.session.commit()
        evidence_id = reflection.id

    sign_in(page, base, email)
    todo = page.locator(".todo")
    line = todo.locator(".todo-tag_sent_back")
    assert line.get_by_role(
        "link", name=re.compile("Reflection on my first complaint")
    ).is_visible()
    expect(line.get_by_text("Say what you did, step by step.")).to_be_visible()
    expect(line.get_by_text("from Tara Singh")).to_be_visible()
    # The count in the navigation says there is something to do.
    assert page.get_by_role("navigation", name="Main").get_by_text("to do").count() == 1
    check(page)
    line.get_by_role("link", name=re.compile("sent back")).click()
    assert page.url.endswith(f"/evidence/{evidence_id}")
    assert page.get_by_role(
        "heading", level=1, name="Reflection on my first complaint"
    ).is_visible()
    check(page)

    # The email went to the apprentice at once, with a link and no names or comments.
    mails = _emails_to(app, email)
    assert len(mails) == 1
    assert f"/evidence/{evidence_id}" in mails[0].text
    assert "Say what you did" not in mails[0].text and "Tara" not in mails[0].text


@pytest.mark.parametrize("width", VIEWPORTS)
def test_line_manager_signs_a_review_from_the_emails_link(live_server, page, width: int) -> None:
    app, base = live_server.app, live_server.url
    appr_id = _new_apprentice(app, f"todo-review-{width}@northgate.test", "Rhys Evans", 100)
    with app.app_context():
        from showcase.portfolios.models import Apprenticeship

        item = db.session.get(Apprenticeship, appr_id)
        review = reviews.ensure_review(item.tutor, item, 3, today=dt.date.today())
        reviews.save_notes(item.tutor, review, "Rhys has made a confident start.")
        # All three wrote their sections at the meeting: writing one after a signature would
        # clear it, so the line manager's last signature is the one that freezes the review.
        write_own_sections(review)
        reviews.sign_review(item.tutor, review)
        reviews.sign_review(item.apprentice, review)
        db.session.commit()
    path = f"/apprenticeships/{appr_id}/reviews/3"

    mails = [m for m in _emails_to(app, "manager@northgate.test") if path in m.text]
    assert mails, "the line manager is emailed when the review waits for their signature"
    link = re.search(r"https?://\S+" + re.escape(path), mails[-1].text).group(0)
    # The email's link is built from BASE_URL; open the same path on the test server.
    page.goto(base + link[link.index(path) :])
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check(page)
    page.get_by_label("Email").fill("manager@northgate.test")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="3-month review")).to_be_visible()
    assert page.url.endswith(path)
    check(page)
    # Their home lists it too, as a signature waiting, with a link straight back to it.
    page.goto(base + "/")
    waiting = page.locator(f'.todo-review_signature a[href="{path}"]')
    expect(waiting).to_be_visible()
    check(page)
    waiting.click()
    assert page.locator("#section-employer_comments .prose").is_visible()  # theirs, written
    page.get_by_role("button", name="Sign this review").click()
    expect(page.get_by_text("the review is saved as evidence")).to_be_visible()
    check(page)

    # Home no longer asks the line manager to sign Rhys's review.
    page.goto(base + "/")
    expect(page.get_by_role("heading", level=1, name="My apprentices")).to_be_visible()
    todo = page.locator(".todo")
    assert todo.locator(f'.todo-review_signature a[href="{path}"]').count() == 0
    check(page)
