"""A handful of pages on a 390 px phone: no sideways scrolling, every control a 24 × 24 px target
at least (WCAG 2.2, 2.5.8; links within text are excepted, as the criterion allows), and axe-core
finds nothing serious or critical."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import User
from showcase.evidence.models import Evidence, EvidenceTag, TagStatus
from showcase.portfolios.models import Apprenticeship
from tests.browser.conftest import assert_accessible, layout_problems, sign_in

pytestmark = pytest.mark.browser


def check_phone_page(page) -> None:
    width = page.evaluate("window.innerWidth")
    assert width == 390
    problems = layout_problems(page)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
    assert_accessible(page)


def test_sign_in_and_statement_pages(live_server, page) -> None:
    page.goto(live_server.url + "/sign-in")
    check_phone_page(page)
    page.get_by_role("link", name="Accessibility statement").click()
    heading = page.get_by_role("heading", level=1, name="Accessibility statement for Showcase")
    expect(heading).to_be_visible()
    check_phone_page(page)


def test_apprentice_home(live_server, page) -> None:
    sign_in(page, live_server.url, "amira@northgate.test")
    expect(page.get_by_role("heading", level=1, name="My portfolio")).to_be_visible()
    check_phone_page(page)


def test_evidence_with_tags_as_the_tutor(live_server, page) -> None:
    with live_server.app.app_context():
        evidence_id = db.session.scalar(
            select(Evidence.id)
            .join(EvidenceTag, EvidenceTag.evidence_id == Evidence.id)
            .join(Apprenticeship, Apprenticeship.id == Evidence.apprenticeship_id)
            .join(User, User.id == Apprenticeship.tutor_id)
            .where(
                User.email == "tutor@brightpath.test",
                EvidenceTag.status == TagStatus.PENDING,
                EvidenceTag.removed_at.is_(None),
            )
            .order_by(Evidence.id)
            .limit(1)
        )
    assert evidence_id is not None, "the demo has a pending tag for the tutor"
    sign_in(page, live_server.url, "tutor@brightpath.test")
    page.goto(f"{live_server.url}/evidence/{evidence_id}")
    check_phone_page(page)


def test_organisation_page_as_admin(live_server, page) -> None:
    with live_server.app.app_context():
        # The organisation with the most people: the longest table of account buttons.
        organisation_id = db.session.scalar(
            select(User.organisation_id)
            .where(User.organisation_id.is_not(None))
            .group_by(User.organisation_id)
            .order_by(func.count().desc(), User.organisation_id)
            .limit(1)
        )
    sign_in(page, live_server.url, "admin@showcase.test")
    page.goto(f"{live_server.url}/admin/organisations/{organisation_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_phone_page(page)
