"""Suggested criteria on the tagging form, as an apprentice sees them on a phone and a desktop:
each with its highlighted passage, chosen without script, recorded on the tag; axe finds
nothing serious; an item without words says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind, EvidenceTag
from showcase.portfolios.models import Apprenticeship
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

ACCOUNT = (
    "A customer phoned about a late delivery and was very angry. I stayed calm and patient, "
    "listened without interrupting and showed empathy. I kept her informed of progress and "
    "rang her back the next day as promised."
)


def make_item(live_server, description: str, title: str) -> int:
    """A written item of Ben's (ST0072, the demo), committed so the server sees it."""
    with live_server.app.app_context():
        apprenticeship = db.session.scalar(
            select(Apprenticeship)
            .join(User, User.id == Apprenticeship.apprentice_id)
            .where(User.email == "ben@northgate.test")
        )
        item = evidence.add_evidence(
            apprenticeship.apprentice,
            apprenticeship,
            storage=None,
            stream=None,
            filename=None,
            max_bytes=0,
            details=evidence.EvidenceDetails(
                title=title,
                kind=EvidenceKind.REFLECTIVE_ACCOUNT,
                description=description or "placeholder text for now",
            ),
        )
        if not description:
            item.description = ""  # as an uploaded photo with nothing written about it
        db.session.commit()
        return item.id


def check_layout(page, width: int) -> None:
    assert page.evaluate("window.innerWidth") == width
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll} px wide"
    small = page.evaluate(
        """() => [...document.querySelectorAll(
               '.suggest input:not([type=hidden]), .suggest button')]
             .map(el => el.getBoundingClientRect())
             .filter(b => b.width < 23.5 || b.height < 23.5).length"""
    )
    assert small == 0
    assert_accessible(page)


@pytest.mark.parametrize("width", [pytest.param(390, id="phone"), pytest.param(1280, id="desktop")])
def test_suggestions_with_their_passages(live_server, browser, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        item_id = make_item(live_server, ACCOUNT, f"Late delivery call ({width})")
        sign_in(page, live_server.url, "ben@northgate.test")
        page.goto(f"{live_server.url}/evidence/{item_id}")
        section = page.locator("#suggestions")
        expect(section.get_by_role("heading", name="Suggested criteria")).to_be_visible()
        items = section.locator(".suggest-item")
        assert items.count() == 5
        first = items.first
        expect(first.locator(".suggest-passage mark").first).to_be_visible()
        passage = first.locator(".suggest-passage").inner_text()
        assert passage.split("Matched passage:")[-1].strip() in ACCOUNT
        check_layout(page, width)

        # Choose the first suggestion (a GET form: no script needed), quoting its passage.
        first.get_by_role("button").click()
        page.wait_for_load_state()
        expect(page.get_by_role("status").filter(has_text="is chosen below")).to_be_visible()
        justification = page.get_by_label("How this evidence shows it")
        assert justification.input_value().startswith("From the evidence: “")
        justification.fill(justification.input_value() + "I kept calm with an angry customer.")
        page.get_by_role("button", name="Add tag").click()
        page.wait_for_load_state()
        expect(page.get_by_text("Your tutor will review it.")).to_be_visible()
        with live_server.app.app_context():
            tag = db.session.scalars(
                select(EvidenceTag).where(EvidenceTag.evidence_id == item_id)
            ).one()
            assert tag.suggestion_rank == 1 and tag.suggestion_ranker == "lexical"
    finally:
        context.close()


@pytest.mark.viewport(390, 844)
def test_an_item_without_words_says_no_suggestions(live_server, page) -> None:
    item_id = make_item(live_server, "", "Photo of the notice board")
    sign_in(page, live_server.url, "ben@northgate.test")
    page.goto(f"{live_server.url}/evidence/{item_id}")
    message = page.locator("#suggestions").get_by_role("status")
    assert message.inner_text().startswith("No suggestions: add a description")
    check_layout(page, 390)
