"""Every flow of the browser tests done by keyboard alone (issue 18): upload, tag, accept,
sign and judge. Only Tab, Shift+Tab, Enter, Space, the arrow keys and typing are used after the
starting page is opened; the focused control shows a focus ring at each step, and after the
save the status message (role="status", announced) is within the viewport, not scrolled away.
The marking queue's own keyboard run is in test_marking.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.evidence.models import Evidence, EvidenceTag
from showcase.portfolios.models import Apprenticeship
from showcase.reviews import services as reviews
from tests.browser.conftest import assert_accessible, sign_in, status_in_view, tab_until
from tests.browser.test_marking import new_learner_with_pending_tags
from tests.browser.test_review_journey import _new_apprentice
from tests.browser.test_workspace import locked_showcase
from tests.factories import SAMPLES, write_own_sections

pytestmark = pytest.mark.browser


def bens_apprenticeship(app) -> int:
    with app.app_context():
        ben = db.session.scalar(select(User).where(User.email == "ben@northgate.test"))
        return db.session.scalar(
            select(Apprenticeship.id).where(Apprenticeship.apprentice_id == ben.id)
        )


def is_(tag: str, label: str = "", type_: str = ""):
    """A matcher for tab_until: the element's tag, start of its label text, and type."""
    return lambda el: (
        el["tag"] == tag and el["label"].startswith(label) and (not type_ or el["type"] == type_)
    )


def press_and_wait(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def open_file_chooser(page):
    """Space on the focused file input opens the chooser. Headless Chromium has now and then
    let the first press go by with focus on the input (once in a full parallel run, never
    alone), so a second press is allowed: still the keyboard alone."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in (1, 2):
        try:
            with page.expect_file_chooser(timeout=5_000) as chooser:
                page.keyboard.press("Space")
            return chooser.value
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def test_upload_by_keyboard(live_server, page) -> None:
    apprenticeship = bens_apprenticeship(live_server.app)
    sign_in(page, live_server.url, "ben@northgate.test")
    page.goto(f"{live_server.url}/apprenticeships/{apprenticeship}/evidence/new")
    # Tab to the file input and press Space: the file chooser opens; a file is chosen.
    tab_until(page, lambda el: el["id"] == "files")
    chooser = open_file_chooser(page)
    chooser.set_files(SAMPLES / "sample.jpg")
    page.wait_for_function(
        "() => document.querySelector('#upload-list .upload-done, #upload-list .upload-failed')"
    )
    done = page.locator("#upload-list .upload-item").first
    assert "Uploaded." in done.inner_text()
    status_in_view(page, page.locator("#upload-list"))
    # Each capture button takes focus visibly too (they are visually hidden file inputs).
    for name in ("capture-photo", "capture-video", "capture-audio"):
        tab_until(page, lambda el, name=name: el["id"] == name, limit=20)
    assert_accessible(page)


def test_tag_by_keyboard(live_server, page) -> None:
    apprenticeship = bens_apprenticeship(live_server.app)
    with live_server.app.app_context():
        item = db.session.scalar(
            select(Evidence.id)
            .where(Evidence.apprenticeship_id == apprenticeship, Evidence.file_id.is_(None))
            .order_by(Evidence.id)
        )
    sign_in(page, live_server.url, "ben@northgate.test")
    page.goto(f"{live_server.url}/evidence/{item}")
    tab_until(page, lambda el: el["tag"] == "select" and el["id"].endswith("reference"))
    page.keyboard.press("End")  # the last unit, not tagged yet (ArrowDown steps through them)
    chosen = page.evaluate("document.activeElement.value")
    assert chosen
    tab_until(page, lambda el: el["tag"] == "textarea", limit=5)
    page.keyboard.type("I did this at the desk on Monday.")
    tab_until(page, is_("button", "Add tag"), limit=5)
    press_and_wait(page, "Enter")
    status = page.get_by_role("status").filter(has_text=f"Tagged to {chosen.split('/')[-1]}")
    status_in_view(page, status)
    assert_accessible(page)


def test_accept_on_the_item_page_by_keyboard(live_server, page) -> None:
    _learner, tags = new_learner_with_pending_tags(live_server.app)
    with live_server.app.app_context():
        item = db.session.get(EvidenceTag, tags[2]).evidence_id
    sign_in(page, live_server.url, "tutor@brightpath.test")
    page.goto(f"{live_server.url}/evidence/{item}")
    tab_until(page, is_("input", "Accept", "radio"))
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    tab_until(page, is_("textarea"), limit=5)
    page.keyboard.type("Clear and in your own words.")
    tab_until(page, is_("button", "Record review"), limit=5)
    press_and_wait(page, "Enter")
    status = page.get_by_role("status").filter(has_text="Review recorded.")
    status_in_view(page, status)
    assert_accessible(page)


def test_sign_a_review_by_keyboard(live_server, page) -> None:
    appr_id = _new_apprentice(live_server.app, "keyboard-sam@northgate.test")
    with live_server.app.app_context():  # the apprentice and the tutor have written theirs
        item = db.session.get(Apprenticeship, appr_id)
        review = reviews.ensure_review(item.tutor, item, 3)
        write_own_sections(review, item.apprentice, item.tutor)
        db.session.commit()
    sign_in(page, live_server.url, "manager@northgate.test")
    page.goto(f"{live_server.url}/apprenticeships/{appr_id}/reviews/3")
    # The line manager writes their section first, then signs.
    tab_until(page, lambda el: el["tag"] == "textarea" and "employer_comments" in el["id"])
    page.keyboard.type("Sam handles the returns desk calmly.")
    tab_until(page, is_("button", "Save your section"), limit=5)
    press_and_wait(page, "Enter")
    status_in_view(page, page.get_by_role("status").filter(has_text="Your section is saved."))
    tab_until(page, is_("button", "Sign this review"))
    press_and_wait(page, "Enter")
    status = page.get_by_role("status").filter(has_text="Signed.")
    status_in_view(page, status)
    assert_accessible(page)


@pytest.mark.viewport(1280, 800)
def test_judge_a_criterion_by_keyboard(live_server, page) -> None:
    setup = locked_showcase(live_server.app, 1281)
    sign_in(page, live_server.url, "assessor@epa.test")
    page.goto(f"{live_server.url}/assessments/{setup['assessment_id']}")
    # The next criterion to judge is open; its Met radio button.
    met = page.evaluate(
        "[...document.querySelectorAll('input[type=radio][value=met]')]"
        ".find(r => r.getClientRects().length).id"
    )
    group = met.rsplit("-", 1)[0]
    # A radio group is one Tab stop: Tab to it, the arrow keys choose Met.
    tab_until(page, lambda el: el["type"] == "radio" and el["id"].startswith(group))
    for _ in range(4):
        if page.evaluate("document.activeElement.id") == met:
            break
        page.keyboard.press("ArrowLeft")
    assert page.locator(f"#{met}").is_checked()
    tab_until(page, lambda el: el["id"] == f"{group}-comment", limit=10)
    page.keyboard.type("Explains the business purpose clearly.")
    tab_until(page, is_("button", "Save"), limit=20)
    press_and_wait(page, "Enter")
    status = page.locator("[role=status][data-ws-focus]")
    assert "Met" in status.inner_text()
    status_in_view(page, status)
    assert_accessible(page)
