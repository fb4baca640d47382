"""The whole gateway-to-grade journey in Chromium: submit, sign off, assign (a conflicted
assessor refused), play a recording, judge, see the computed grade."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Organisation, OrganisationKind, Role, User
from showcase.accounts.passwords import hash_password
from showcase.demo import DEMO_PASSWORD
from showcase.demo_files import pdf, wav
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind
from showcase.portfolios.services import create_apprenticeship
from showcase.standards.loaders import get_standard_or_404
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import sign_review_point

pytestmark = pytest.mark.browser


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


@pytest.fixture(scope="module")
def dana(live_server) -> dict:
    """A new apprentice 13 months in with accepted evidence, and an assessor who was her tutor."""
    with live_server.app.app_context():
        employer = db.session.scalar(
            select(Organisation).where(Organisation.name == "Northgate Retail Ltd")
        )
        epa = db.session.scalar(
            select(Organisation).where(
                Organisation.kind == OrganisationKind.ASSESSMENT_ORGANISATION
            )
        )
        provider_id = _user("tutor@brightpath.test").organisation_id
        apprentice = User(
            email="dana@northgate.test",
            name="Dana Fox",
            role=Role.APPRENTICE,
            organisation_id=employer.id,
            password_hash=hash_password(DEMO_PASSWORD),
        )
        former_tutor = User(
            email="sam@epa.test",
            name="Sam Conflicted",
            role=Role.TUTOR,
            organisation_id=provider_id,
            password_hash=hash_password(DEMO_PASSWORD),
        )
        db.session.add_all([apprentice, former_tutor])
        db.session.flush()
        standard = get_standard_or_404("ST0072", "AP02")
        create_apprenticeship(
            None,
            apprentice=apprentice,
            standard=standard,
            start_date=dt.date.today() - dt.timedelta(days=150),
            line_manager=_user("manager@northgate.test"),
            tutor=former_tutor,
        )
        item = create_apprenticeship(
            None,
            apprentice=apprentice,
            standard=standard,
            start_date=dt.date.today() - dt.timedelta(days=400),
            line_manager=_user("manager@northgate.test"),
            tutor=_user("tutor@brightpath.test"),
        )
        # Sam later became an assessor at the assessment organisation: a direct relationship.
        former_tutor.role = Role.ASSESSOR
        former_tutor.organisation = epa
        storage = get_storage()
        for name, body, kind in (
            ("statement.pdf", pdf(["Dana helped a customer."]), EvidenceKind.WITNESS_STATEMENT),
            ("call.wav", wav(6.0), EvidenceKind.RECORDING),
        ):
            e = evidence.add_evidence(
                apprentice,
                item,
                storage=storage,
                stream=io.BytesIO(body),
                filename=name,
                max_bytes=10**8,
                details=evidence.EvidenceDetails(
                    kind=kind, witness_name="Marcus Lee", witness_relationship="Line manager"
                ),
            )
            tag = evidence.tag_evidence(
                apprentice,
                e,
                ref="ST0072/team-working/1.1",
                justification="Working with my team on the desk.",
            )
            evidence.review_tag(item.tutor, tag, accept=True)
        for month in (3, 6, 9):  # each party writes their section, then all three sign
            sign_review_point(item, month)
        db.session.commit()
        return {"apprenticeship_id": item.id}


def judge_every_criterion(page) -> None:
    """Each criterion's own form, Met, saved, in page order (a section with work left is
    open; the page comes back at the criterion saved)."""
    forms = page.locator("form[action*='/criteria/']")
    for i in range(forms.count()):
        form = forms.nth(i)
        form.get_by_label("Met", exact=True).check()
        form.get_by_role("button", name="Save").click()
        page.wait_for_load_state()
        expect(page.get_by_role("status").filter(has_text="Saved at")).to_be_visible()


def test_gateway_to_grade(live_server, page, dana) -> None:
    url = live_server.url
    # 1. The apprentice chooses evidence, writes the summary and chooses the assessment org.
    sign_in(page, url, "dana@northgate.test")
    page.goto(f"{url}/apprenticeships/{dana['apprenticeship_id']}/showcase")
    assert_accessible(page)
    page.get_by_role("button", name="Start my showcase").click()
    for box in page.locator("input[name=evidence]").all():
        box.check()
    page.get_by_role("button", name="Save choice").click()
    page.get_by_label("Presentation summary").fill("My year on the customer service desk.")
    page.get_by_label("Assessment organisation").select_option(label="Independent EPA Services")
    page.get_by_role("button", name="Save summary").click()
    expect(page.get_by_text("Summary saved.")).to_be_visible()
    assert_accessible(page)
    submission_url = page.url
    page.get_by_role("button", name="Sign out").click()

    # Most gaps are acknowledged up front; the tutor acknowledges the last one on the page.
    with live_server.app.app_context():
        submission = db.session.get(submissions.Submission, int(submission_url.rsplit("/", 1)[1]))
        tutor = _user("tutor@brightpath.test")
        for gap in submissions.checklist(submission).gaps[1:]:
            submissions.acknowledge_gap(
                tutor, submission, ref=gap.ref, note="To be covered in the professional discussion."
            )
        db.session.commit()

    # 2. The tutor and the line manager sign off.
    sign_in(page, url, "tutor@brightpath.test")
    page.goto(submission_url)
    page.locator("#gaps input[name=note]").first.fill("Seen in her progress reviews.")
    page.locator("#gaps").get_by_role("button", name="Acknowledge").first.click()
    expect(page.get_by_text("Gap acknowledged.")).to_be_visible()
    page.get_by_label("I confirm that Dana Fox").check()
    page.get_by_role("button", name="Sign off as training provider").click()
    expect(page.get_by_text("Gateway signed off.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, url, "manager@northgate.test")
    page.goto(submission_url)
    page.get_by_label("I confirm that Dana Fox").check()
    page.get_by_role("button", name="Sign off as employer").click()
    page.get_by_role("button", name="Sign out").click()

    # 3. The apprentice submits: the showcase is locked and fingerprinted.
    sign_in(page, url, "dana@northgate.test")
    page.goto(submission_url)
    page.get_by_role("button", name="Submit and lock my showcase").click()
    expect(page.get_by_text("has not changed since")).to_be_visible()
    page.get_by_text("Details for assessors").click()
    expect(page.get_by_text("Fingerprint (SHA-256 of the manifest)")).to_be_visible()
    page.get_by_role("button", name="Check it has not changed").click()
    expect(page.get_by_text("Unchanged. The manifest matches")).to_be_visible()
    page.goto(url + "/")
    page.get_by_role("button", name="Sign out").click()

    # 4. The assessment organisation's admin assigns: the conflicted assessor is refused.
    sign_in(page, url, "office@epa.test")
    page.goto(f"{url}/admin/assessments")
    assert_accessible(page)
    card = page.locator("article", has_text="Dana Fox")
    card.get_by_label("Assessor").select_option(label="Sam Conflicted")
    card.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Sam Conflicted cannot assess this showcase")).to_be_visible()
    expect(page.get_by_text("has been Dana Fox's tutor")).to_be_visible()
    card = page.locator("article", has_text="Dana Fox")
    card.get_by_label("Assessor").select_option(label="Alex Morgan")
    card.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("Assigned to Alex Morgan.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # 5. The assessor plays and seeks the recording, judges each criterion, sees the grade.
    sign_in(page, url, "assessor@epa.test")
    page.get_by_role("link", name="Dana Fox").click()
    assert page.locator(".ws-progress-all").inner_text().startswith("0 of ")
    assert_accessible(page)
    # The recording sits beside the criteria of the module it is tagged to (team working).
    audio = page.locator("#criterion-team-working-statement-1 audio")
    audio.scroll_into_view_if_needed()
    # What pressing play does: the player (preload="none") fetches nothing until asked.
    duration = audio.evaluate(
        """a => new Promise(resolve => {
            a.addEventListener('loadedmetadata', () => resolve(a.duration), {once: true});
            a.load();
        })"""
    )
    assert duration == pytest.approx(6.0, abs=0.2)
    seeked = audio.evaluate(
        """a => new Promise(resolve => {
            a.addEventListener('seeked', () => resolve(a.currentTime), {once: true});
            a.currentTime = 4;
        })"""
    )
    assert seeked == pytest.approx(4.0, abs=0.3)

    judge_every_criterion(page)
    record = page.locator("#record-observation")
    record.get_by_label("What was observed").fill("Handled an enquiry and a complaint at the desk.")
    for box in record.locator("input[name=areas]").all():
        box.check()
    record.get_by_label("Face to face").check()
    record.get_by_role("button", name="Save record").click()
    discussion = page.locator("#record-professional-discussion")
    discussion.get_by_label("What was discussed").fill("Customers, the organisation and her role.")
    discussion.get_by_role("button", name="Save record").click()
    # The demo organisation's (illustrative) supplement supplies the showcase's missing
    # distinction criteria, judged here with the plan's: a distinction, its source named.
    assert page.locator("#computed-grade").inner_text() == "Distinction"
    page.get_by_text("How the grade is worked out").click()
    assert page.get_by_text(
        "the criteria of Independent EPA Services, not of the plan", exact=False
    ).first.is_visible()
    page.get_by_role("button", name="Confirm the final grade").click()
    confirmed = page.get_by_role("status").filter(has_text="Grade confirmed")
    assert "Distinction" in confirmed.inner_text()
    assert_accessible(page)
