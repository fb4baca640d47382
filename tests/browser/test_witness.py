"""Remote witness testimony in Chromium, end to end: the apprentice asks for a statement; the
witness opens the emailed link in a fresh browser (nobody signed in) on a 390 px screen, writes,
attaches a document and signs; the tutor accepts the tag; after the showcase is locked the
assessor sees the statement, its signature record and a passing Verify; a changed byte in the
stored statement makes Verify fail. axe checks the pages; nothing scrolls sideways."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Organisation, OrganisationKind, Role, User
from showcase.accounts.passwords import hash_password
from showcase.assessment import services as assessment
from showcase.demo import DEMO_PASSWORD
from showcase.evidence import services as evidence
from showcase.mail.models import OutboxMessage
from showcase.portfolios.services import create_apprenticeship
from showcase.standards.loaders import get_standard_or_404
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from showcase.witnesses.models import WitnessSignature
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import SAMPLES, sign_review_point

pytestmark = pytest.mark.browser

WITNESS_EMAIL = "rosa.grant@example.test"
UNIT = "ST0072/dealing-with-customer-conflict-and-challenge/2.1"


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def check(page) -> None:
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.fixture(scope="module")
def ella(live_server) -> dict:
    """A new apprentice 13 months in, her reviews signed: ready for the gateway."""
    with live_server.app.app_context():
        employer = db.session.scalar(
            select(Organisation).where(Organisation.name == "Northgate Retail Ltd")
        )
        apprentice = User(
            email="ella@northgate.test",
            name="Ella Stone",
            role=Role.APPRENTICE,
            organisation_id=employer.id,
            password_hash=hash_password(DEMO_PASSWORD),
        )
        db.session.add(apprentice)
        db.session.flush()
        item = create_apprenticeship(
            None,
            apprentice=apprentice,
            standard=get_standard_or_404("ST0072", "AP02"),
            start_date=dt.date.today() - dt.timedelta(days=400),
            line_manager=_user("manager@northgate.test"),
            tutor=_user("tutor@brightpath.test"),
        )
        for month in (3, 6, 9):  # each party writes their section, then all three sign
            sign_review_point(item, month)
        db.session.commit()
        return {"apprenticeship_id": item.id}


def _lock_and_assign(apprenticeship_id: int) -> int:
    """The gateway, done through the services: chosen, signed off, locked, assigned."""
    from showcase.portfolios.models import Apprenticeship

    item = db.session.get(Apprenticeship, apprenticeship_id)
    epa = db.session.scalar(
        select(Organisation).where(Organisation.kind == OrganisationKind.ASSESSMENT_ORGANISATION)
    )
    draft = submissions.start_version(item.apprentice, item)
    evidence_ids = [e.id for e in evidence.list_evidence(item, evidence.EvidenceFilter())]
    submissions.set_items(item.apprentice, draft, evidence_ids)
    submissions.set_summary(
        item.apprentice, draft, summary="My year.", assessment_organisation_id=epa.id
    )
    for gap in submissions.checklist(draft).gaps:
        submissions.acknowledge_gap(item.tutor, draft, ref=gap.ref, note="In the discussion.")
    submissions.sign_off(item.line_manager, draft, confirm=True)
    submissions.sign_off(item.tutor, draft, confirm=True)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(item.apprentice, draft, storage=storage, written=written)
        graded = assessment.assign(_user("office@epa.test"), draft, _user("assessor@epa.test"))
        db.session.commit()
    return graded.id


def test_witness_statement_from_request_to_verify(live_server, browser, page, ella) -> None:
    base = live_server.url
    register = f"{base}/apprenticeships/{ella['apprenticeship_id']}/witnesses"

    # 1. The apprentice asks her supervisor for a statement.
    sign_in(page, base, "ella@northgate.test")
    page.goto(f"{base}/apprenticeships/{ella['apprenticeship_id']}")
    page.get_by_role("link", name="Witness register and statements").click()
    check(page)
    page.get_by_role("link", name="Ask for a witness statement").click()
    page.get_by_label("Witness's full name").fill("Rosa Grant")
    page.get_by_label("Their email address").fill(WITNESS_EMAIL)
    page.get_by_label("Their job title").fill("Duty manager")
    page.get_by_label("How they know the apprentice").fill("My duty manager")
    page.locator("summary", has_text="Dealing with customer conflict").click()
    page.get_by_label(re.compile(r"^2\.1 Show patience, calmness")).check()
    page.get_by_label("When it happened").fill((dt.date.today() - dt.timedelta(days=5)).isoformat())
    page.get_by_label("What happened").fill("The refund queue on the Monday after the sale.")
    check(page)
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text(f"Request sent to Rosa Grant at {WITNESS_EMAIL}")).to_be_visible()
    expect(page.get_by_text("Waiting for the witness")).to_be_visible()
    check(page)
    page.goto(base + "/")
    expect(page.get_by_text("Witness statement asked of Rosa Grant").first).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # 2. The witness opens the emailed link in a fresh browser, on a phone, with no account.
    with live_server.app.app_context():
        message = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to == WITNESS_EMAIL)
            .order_by(OutboxMessage.id.desc())
        ).first()
        (link,) = re.findall(r"https?://\S+(/witness/\S+)", message.text)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    witness = context.new_page()
    try:
        witness.goto(base + link)
        assert witness.get_by_role(
            "heading", name="A witness statement for Ella Stone"
        ).is_visible()
        expect(
            witness.get_by_text("The refund queue on the Monday after the sale.")
        ).to_be_visible()
        expect(witness.get_by_text("Show patience, calmness and empathy")).to_be_visible()
        assert witness.get_by_role("button", name="Sign out").count() == 0
        check(witness)
        witness.get_by_label("Your statement").fill(
            "I was the duty manager. Ella dealt with a long, angry refund queue calmly, "
            "apologised, explained the policy and kept every customer informed."
        )
        witness.get_by_label("Attach a document or recording").set_input_files(
            str(SAMPLES / "sample.pdf")
        )
        assert witness.get_by_label("Your full name", exact=True).input_value() == "Rosa Grant"
        witness.get_by_label("I agree with the declaration above").check()
        witness.get_by_label("Type your full name to sign").fill("Rosa Grant")
        witness.get_by_role("button", name="Sign my statement").click()
        assert witness.get_by_role(
            "heading", name="Thank you: your statement is signed"
        ).is_visible()
        check(witness)
        witness.goto(base + link)  # one use
        expect(witness.get_by_role("heading", name="This link does not work")).to_be_visible()
    finally:
        context.close()

    with live_server.app.app_context():
        signature = db.session.scalars(
            select(WitnessSignature).order_by(WitnessSignature.id.desc())
        ).first()
        evidence_id = signature.evidence_id
        assert signature.signer_name == "Rosa Grant" and signature.file_sha256

    # 3. The tutor accepts the tag.
    sign_in(page, base, "tutor@brightpath.test")
    page.goto(f"{base}/evidence/{evidence_id}")
    expect(page.get_by_role("heading", name="Signed by the witness")).to_be_visible()
    check(page)
    card = page.locator("article.tag-card").first
    card.get_by_label("Accept").check()
    card.get_by_role("button", name="Record review").click()
    expect(page.get_by_text("Review recorded.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # 4. The showcase is locked and assigned; the assessor sees the statement and verifies it.
    with live_server.app.app_context():
        assessment_id = _lock_and_assign(ella["apprenticeship_id"])
    sign_in(page, base, "assessor@epa.test")
    page.goto(f"{base}/assessments/{assessment_id}")
    record_link = page.locator(f"a[href='/witness-statements/{evidence_id}']")
    assert record_link.count() == 1
    page.goto(f"{base}/witness-statements/{evidence_id}")
    expect(page.get_by_role("heading", name="Signature record")).to_be_visible()
    record = page.locator("#signature-record")
    expect(record.get_by_text("Rosa Grant").first).to_be_visible()
    expect(record.get_by_text(WITNESS_EMAIL)).to_be_visible()
    expect(record.get_by_text(signature.statement_sha256)).to_be_visible()
    check(page)
    page.get_by_role("link", name="Verify", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Verified")).to_be_visible()
    check(page)
    page.goto(register)
    expect(page.get_by_text("Rosa Grant").first).to_be_visible()

    # 5. One changed byte in the stored statement file: Verify fails.
    with live_server.app.app_context():
        stored = db.session.get(WitnessSignature, signature.id).evidence.file
        storage = get_storage()
        with storage.open(stored.key) as blob:
            body = bytearray(blob.read())
        body[100] ^= 0x01
        storage.delete(stored.key)
        storage.save(stored.key, io.BytesIO(bytes(body)))
    page.goto(f"{base}/witness-statements/{evidence_id}/verify")
    expect(page.get_by_role("status").filter(has_text="Verification failed")).to_be_visible()
    expect(page.get_by_role("cell", name="Fail").first).to_be_visible()
