"""The tutor works through the marking queue with the keyboard only: Tab to Accept and press
Space, the next row has focus; send back with a comment (and without one, which is refused);
tick two rows and accept them together. On a desktop and a 390 px phone, axe-clean, with the
status message in view and no sideways scrolling."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import OrganisationKind, Role, User
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind
from showcase.standards.services import rules_for
from showcase.storage_ext import get_storage
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import SAMPLES, Factory

pytestmark = pytest.mark.browser

T0 = dt.datetime(2020, 1, 1, 9, tzinfo=dt.UTC)


def new_learner_with_pending_tags(app) -> tuple[int, list[int]]:
    """A new learner of the demo tutor with five pending tags (a photo, a recording, written
    accounts), older than anything else in the demo; their apprenticeship id and tag ids."""
    with app.app_context():
        tutor = db.session.scalar(select(User).where(User.email == "tutor@brightpath.test"))
        make, unique = Factory(), uuid.uuid4().hex[:8]
        employer = make.organisation(OrganisationKind.EMPLOYER)
        learner = make.apprenticeship(
            apprentice=make.user(Role.APPRENTICE, employer, email=f"learner-{unique}@example.test"),
            line_manager=make.user(
                Role.EMPLOYER_CONTACT, employer, email=f"manager-{unique}@example.test"
            ),
            tutor=tutor,
        )
        units = [u.ref for u in rules_for(learner.standard).units]
        items = []
        for name in ("sample.jpg", "sample.mp3"):
            with (SAMPLES / name).open("rb") as stream:
                items.append(
                    evidence.add_evidence(
                        learner.apprentice,
                        learner,
                        storage=get_storage(),
                        stream=stream,
                        filename=name,
                        max_bytes=10_000_000,
                    )
                )
        for title in ("Calmed a customer", "Handled a refund", "Phone complaint"):
            items.append(
                evidence.add_evidence(
                    learner.apprentice,
                    learner,
                    storage=get_storage(),
                    stream=None,
                    filename=None,
                    max_bytes=0,
                    details=evidence.EvidenceDetails(
                        title=title,
                        kind=EvidenceKind.REFLECTIVE_ACCOUNT,
                        description="What I did and what the customer said afterwards.",
                    ),
                )
            )
        tag_ids = []
        for n, item in enumerate(items):
            made = evidence.tag_evidence(
                learner.apprentice,
                item,
                ref=units[n],
                justification="This shows the unit because I did exactly that.",
            )
            made.created_at = T0 + dt.timedelta(hours=n)
            db.session.flush()
            tag_ids.append(made.id)
        db.session.commit()
        return learner.id, tag_ids


def focused(page) -> str:
    """What has focus: '<tag>#<row id>.<button value or tag name>'."""
    return page.evaluate(
        """() => { const el = document.activeElement;
                   const row = el.closest('li[id^="tag-"]');
                   return (row ? row.id : '-') + '.' + (el.value && el.tagName === 'BUTTON'
                     ? el.value : el.tagName.toLowerCase() + (el.type ? ':' + el.type : '')); }"""
    )


def tab_to(page, want: str, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until ``focused(page) == want``."""
    for _ in range(limit):
        if focused(page) == want:
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"never reached {want}; at {focused(page)}")


def press_and_wait(page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)
    page.wait_for_load_state()


def check(page) -> None:
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    # The status message is in view, not scrolled away above the focused row.
    box = page.evaluate(
        "(() => { const r = document.getElementById('marking-status').getBoundingClientRect();"
        " return [r.top, r.bottom, window.innerHeight]; })()"
    )
    assert box[0] >= 0 and box[1] <= box[2], box
    # Every control of the queue is at least 24 by 24 CSS px.
    controls = (
        ".marking-queue button, .marking-queue input:not([type=hidden]), "
        ".marking-queue textarea, select"
    )
    small = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
             .map(e => e.getBoundingClientRect())
             .filter(r => r.width < 24 || r.height < 24).length""",
        controls,
    )
    assert small == 0


def status(page) -> str:
    return page.locator("#marking-status").inner_text()


@pytest.mark.parametrize(
    "size", [pytest.param((1280, 800), marks=pytest.mark.viewport(1280, 800)), (390, 844)]
)
def test_tutor_works_through_the_queue_with_the_keyboard(live_server, page, size) -> None:
    learner, tags = new_learner_with_pending_tags(live_server.app)
    row = [f"tag-{t}" for t in tags]
    sign_in(page, live_server.url, "tutor@brightpath.test")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Marking", exact=True)).to_be_visible()
    page.goto(f"{live_server.url}/marking?learner={learner}")
    assert page.locator(f"#{row[0]} img[loading=lazy]").count() == 1
    assert page.locator(f"#{row[1]} audio[controls][preload=none]").count() == 1
    assert_accessible(page)

    # Tab to the oldest row's Accept and press Space: the next row's Accept has focus.
    tab_to(page, f"{row[0]}.accept")
    press_and_wait(page, " ")
    assert status(page).startswith("Accepted:")
    assert focused(page) == f"{row[1]}.accept"
    check(page)

    # Send back with a comment: Tab into the comment box, type, Tab to Send back, Enter.
    page.keyboard.press("Tab")
    assert focused(page) == f"{row[1]}.textarea:textarea"
    page.keyboard.type("Add what the customer said.")
    page.keyboard.press("Tab")
    assert focused(page) == f"{row[1]}.send_back"
    press_and_wait(page, "Enter")
    assert status(page).startswith("Sent back:")
    assert focused(page) == f"{row[2]}.accept"
    check(page)

    # Send back without a comment is refused, and the comment box has focus.
    tab_to(page, f"{row[2]}.send_back")
    press_and_wait(page, "Enter")
    assert "Say what is missing" in status(page)
    assert focused(page) == f"{row[2]}.textarea:textarea"
    check(page)
    page.keyboard.type("Which policy did you follow?")
    page.keyboard.press("Tab")
    press_and_wait(page, "Enter")
    assert status(page).startswith("Sent back:")
    assert focused(page) == f"{row[3]}.accept"

    # Tick the last two and accept them together.
    tab_to(page, f"{row[3]}.input:checkbox", backwards=True)
    page.keyboard.press("Space")
    tab_to(page, f"{row[4]}.input:checkbox")
    page.keyboard.press("Space")
    tab_to(page, "-.button:submit", backwards=True)  # Accept ticked items
    press_and_wait(page, "Enter")
    assert status(page).startswith("Accepted 2 items.")
    assert page.locator(".queue-row").count() == 0
    check(page)
