"""Remote witness testimony: asking, the one-time link, signing into a sealed statement with a
signature record and PDF, verify (and its failure on a changed byte), expiry, resend, revoke,
decline, refusals, the register, to-do lists, who may do what, and the API."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import Role
from showcase.assessment import services as assessment
from showcase.audit.models import AuditEntry
from showcase.errors import Conflict, Forbidden, ValidationFailed
from showcase.evidence.models import Evidence, EvidenceKind, TagStatus
from showcase.home.todo import todo_for
from showcase.mail.models import EmailDelivery, OutboxMessage
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from showcase.witnesses import services
from showcase.witnesses.models import WitnessRequest, WitnessSignature, WitnessState
from tests.conftest import sign_in
from tests.factories import SAMPLES, api_headers, build_journey, prepare, refs

UNITS = [
    "ST0072/dealing-with-customer-conflict-and-challenge/2.1",
    "ST0072/team-working/1.3",
]
STATEMENT = "I supervised Amira on the desk.\r\nShe calmed an upset customer and found a refund."


def _details(**changes) -> services.RequestDetails:
    values = {
        "witness_name": "Jordan Blake",
        "witness_email": "Jordan.Blake@Example.test",
        "witness_role": "Team leader",
        "witness_relationship": "Shift supervisor",
        "witness_organisation": "Northgate",
        "unit_refs": UNITS,
        "activity_date": dt.date.today() - dt.timedelta(days=3),
        "note": "The Saturday a wedding order arrived damaged.",
    }
    values.update(changes)
    return services.RequestDetails(**values)


def _form(**changes) -> dict:
    data = {
        "witness_name": "Jordan Blake",
        "witness_email": "jordan.blake@example.test",
        "witness_role": "Team leader",
        "witness_relationship": "Shift supervisor",
        "witness_organisation": "Northgate",
        "unit_refs": UNITS,
        "activity_date": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
        "note": "The Saturday a wedding order arrived damaged.",
    }
    data.update(changes)
    return data


def _sign_form(**changes) -> dict:
    data = {
        "statement": STATEMENT,
        "signer_name": "Jordan Blake",
        "signer_role": "Team leader",
        "signer_relationship": "Shift supervisor",
        "signer_organisation": "Northgate",
        "typed_signature": "jordan  blake",
        "declaration": "y",
    }
    data.update(changes)
    return data


def link_path(to: str) -> str:
    """The path of the newest witness link emailed to ``to``: in the outbox once sent, in the
    queued delivery before (a sent delivery's copy is erased)."""
    found = [
        (m.created_at, m.id, m.text)
        for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == to))
    ] + [
        (d.created_at, d.id, d.text)
        for d in db.session.scalars(select(EmailDelivery).where(EmailDelivery.to_address == to))
    ]
    links = [
        (at, n, url)
        for at, n, text in found
        for url in re.findall(r"https?://\S+/witness/\S+", text or "")
    ]
    assert links, f"no witness link emailed to {to}"
    url = max(links)[2]
    return "/witness/" + url.rsplit("/witness/", 1)[1]


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


@pytest.fixture
def portfolio(make):
    return make.apprenticeship()


def _ask(portfolio, **changes) -> tuple[WitnessRequest, str]:
    request = services.request_statement(
        portfolio.apprentice, portfolio, _details(**changes), link_days=14
    )
    return request, token_of(link_path(request.witness_email))


def _sign(
    request: WitnessRequest,
    *,
    upload: bytes | None = None,
    filename: str = "s.pdf",
    statement: str = STATEMENT,
):
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        return services.sign_statement(
            request,
            statement=statement,
            signer=services.SignerDetails(
                "Jordan Blake", "Team leader", "Shift supervisor", "", "Jordan Blake", True
            ),
            client=services.ClientInfo("203.0.113.5", "pytest"),
            storage=storage,
            written=written,
            upload=io.BytesIO(upload) if upload is not None else None,
            filename=filename,
            max_bytes=10**8,
        )


def _actions(request: WitnessRequest) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "WitnessRequest", AuditEntry.object_id == request.id)
            .order_by(AuditEntry.id)
        )
    )


# ---- the whole path through the pages ----------------------------------------------------------


def test_apprentice_asks_and_the_witness_signs_without_an_account(app, login, portfolio) -> None:
    client = login(portfolio.apprentice)
    page = client.get(f"/apprenticeships/{portfolio.id}/witnesses/new")
    assert page.status_code == 200 and "Units they can speak about" in page.get_data(as_text=True)
    response = client.post(f"/apprenticeships/{portfolio.id}/witnesses/new", data=_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    request = db.session.scalar(select(WitnessRequest))
    assert request.witness_email == "jordan.blake@example.test"
    path = link_path("jordan.blake@example.test")
    assert request.token_hash == hashlib.sha256(token_of(path).encode()).hexdigest()
    assert token_of(path) not in str(request.__dict__)  # only the hash is stored

    # Another portfolio item must never show on the witness's page.
    services_item = Evidence(
        apprenticeship=portfolio,
        title="Private reflective account",
        kind=EvidenceKind.REFLECTIVE_ACCOUNT,
        activity_date=dt.date.today(),
        description="Not for the witness",
        created_by_id=portfolio.apprentice_id,
    )
    db.session.add(services_item)
    db.session.flush()

    witness = app.test_client()  # a fresh browser: nobody signed in
    page = witness.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert portfolio.apprentice.name in html
    assert "The Saturday a wedding order arrived damaged." in html
    assert "Show patience, calmness and empathy" in html  # the unit in the standard's words
    assert "Private reflective account" not in html and "Not for the witness" not in html
    assert "Sign out" not in html

    response = witness.post(
        path + "/sign", data=_sign_form(), headers={"User-Agent": "Phone browser 1.0"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:3000]
    assert "your statement is signed" in response.get_data(as_text=True)

    signature = db.session.scalar(select(WitnessSignature))
    item = signature.evidence
    assert item.kind is EvidenceKind.WITNESS_STATEMENT and item.sealed_at is not None
    assert item.apprenticeship_id == portfolio.id
    assert item.description == STATEMENT.replace("\r\n", "\n")
    assert (item.witness_name, item.witness_contact) == ("Jordan Blake", request.witness_email)
    assert sorted(t.reference.ref for t in item.tags) == sorted(UNITS)
    assert {t.status for t in item.tags} == {TagStatus.PENDING}
    assert signature.sent_to_email == "jordan.blake@example.test"
    assert signature.typed_signature == "jordan blake"
    assert signature.client_address == "127.0.0.1"
    assert signature.user_agent == "Phone browser 1.0"
    assert portfolio.apprentice.name in signature.declaration
    expected = hashlib.sha256(
        b"showcase-witness-statement-v1\nfile-sha256:none\n" + item.description.encode()
    ).hexdigest()
    assert signature.statement_sha256 == expected
    with get_storage().open(signature.pdf_file.key) as pdf:
        body = pdf.read()
    assert body.startswith(b"%PDF") and hashlib.sha256(body).hexdigest() == signature.pdf_sha256
    db.session.refresh(request)
    assert request.state(db.utcnow()) is WitnessState.SIGNED
    assert _actions(request) == ["witness.requested", "witness.signed"]

    # One use: the link is spent, and using it again changes nothing.
    again = witness.post(path + "/sign", data=_sign_form(statement="Something else"))
    assert again.status_code == 410 and "already been signed" in again.get_data(as_text=True)
    assert witness.get(path).status_code == 410
    assert db.session.scalar(select(func.count()).select_from(WitnessSignature)) == 1

    # The apprentice can't edit or delete the sealed statement; the tutor accepts its tags.
    assert client.post(f"/evidence/{item.id}/delete").status_code in (403, 409)
    assert db.session.get(Evidence, item.id).deleted_at is None
    client.post("/sign-out")
    tutor = login(portfolio.tutor)
    shown = tutor.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert "Signed by the witness" in shown and "Signature record" in shown
    tag = item.tags[0]
    response = tutor.post(f"/tags/{tag.id}/review", data={"review-decision": "accept"})
    assert response.status_code == 302
    db.session.refresh(tag)
    assert tag.status is TagStatus.ACCEPTED


def test_verify_passes_then_fails_on_a_changed_byte_in_the_stored_file(login, portfolio) -> None:
    request, _ = _ask(portfolio)
    original = (SAMPLES / "sample.pdf").read_bytes()
    signature = _sign(request, upload=original, filename="statement.pdf")
    assert signature.file_sha256 == hashlib.sha256(original).hexdigest()
    expected = hashlib.sha256(
        b"showcase-witness-statement-v1\nfile-sha256:"
        + signature.file_sha256.encode()
        + b"\n"
        + signature.evidence.description.encode()
    ).hexdigest()
    assert signature.statement_sha256 == expected
    client = login(portfolio.tutor)
    page = client.get(f"/witness-statements/{signature.evidence_id}/verify")
    assert page.status_code == 200
    assert "Verified: the statement, its file and its PDF" in page.get_data(as_text=True)
    assert client.get(f"/witness-statements/{signature.evidence_id}/pdf").data.startswith(b"%PDF")

    # One byte of the stored file changes (written-once keys: delete, then store it again).
    storage = get_storage()
    key = signature.evidence.file.key
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0x01
    storage.delete(key)
    storage.save(key, io.BytesIO(bytes(changed)))
    html = client.get(f"/witness-statements/{signature.evidence_id}/verify").get_data(as_text=True)
    assert "Verification failed" in html
    result = services.verify_signature(signature, storage)
    assert not result.ok
    assert [c.label for c in result.checks if not c.ok] == [
        "Statement (text and file)",
        "Attached file",
    ]


def test_verify_fails_when_the_text_or_the_pdf_changes(portfolio) -> None:
    request, _ = _ask(portfolio)
    signature = _sign(request)
    storage = get_storage()
    assert services.verify_signature(signature, storage).ok
    signature.evidence.description += "."  # bypassing the seal, as a database edit would
    assert not services.verify_signature(signature, storage).ok
    signature.evidence.description = signature.evidence.description[:-1]
    assert services.verify_signature(signature, storage).ok
    key = signature.pdf_file.key
    with storage.open(key) as pdf:
        body = bytearray(pdf.read())
    body[-10] ^= 0x20
    storage.delete(key)
    storage.save(key, io.BytesIO(bytes(body)))
    result = services.verify_signature(signature, storage)
    assert [c.label for c in result.checks if not c.ok] == ["PDF copy"]


# ---- links that no longer work -------------------------------------------------------------


def test_tampered_expired_revoked_and_replaced_links_change_nothing(app, login, portfolio) -> None:
    witness = app.test_client()
    request, token = _ask(portfolio)
    tampered = witness.get(f"/witness/{token[:-2]}xx")
    assert tampered.status_code == 404 and "not valid" in tampered.get_data(as_text=True)

    # Resend: a new link; the old one is dead.
    services.resend_request(portfolio.tutor, request, link_days=14)
    new_token = token_of(link_path(request.witness_email))
    assert new_token != token and request.sends == 2
    replaced = witness.get(f"/witness/{token}")
    assert replaced.status_code == 404 and "newer one" in replaced.get_data(as_text=True)
    assert witness.get(f"/witness/{new_token}").status_code == 200

    # Expired: a clear page, and signing changes nothing.
    request.expires_at = db.utcnow() - dt.timedelta(minutes=1)
    db.session.flush()
    page = witness.post(f"/witness/{new_token}/sign", data=_sign_form())
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    assert db.session.scalar(select(WitnessSignature)) is None
    assert request.state(db.utcnow()) is WitnessState.EXPIRED
    # Ask again (resend) brings it back; withdrawing kills it.
    services.resend_request(portfolio.apprentice, request, link_days=14)
    latest = token_of(link_path(request.witness_email))
    services.revoke_request(portfolio.apprentice, request)
    page = witness.get(f"/witness/{latest}")
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    declined = witness.post(f"/witness/{latest}/decline", data={"reason": "No"})
    assert declined.status_code == 410 and request.decline_reason is None
    with pytest.raises(Conflict):
        services.resend_request(portfolio.apprentice, request, link_days=14)
    assert _actions(request) == [
        "witness.requested",
        "witness.resent",
        "witness.resent",
        "witness.revoked",
    ]


def test_the_witness_declines_with_a_reason(app, login, portfolio) -> None:
    request, token = _ask(portfolio)
    witness = app.test_client()
    empty = witness.post(f"/witness/{token}/decline", data={"reason": "  "})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and 'id="reason-error"' in html
    assert request.state(db.utcnow()) is WitnessState.WAITING
    done = witness.post(f"/witness/{token}/decline", data={"reason": "I was on leave that week."})
    assert done.status_code == 200 and "You have declined" in done.get_data(as_text=True)
    db.session.refresh(request)
    assert request.state(db.utcnow()) is WitnessState.DECLINED
    assert witness.get(f"/witness/{token}").status_code == 410
    client = login(portfolio.apprentice)
    register = client.get(f"/apprenticeships/{portfolio.id}/witnesses").get_data(as_text=True)
    assert "Declined" in register and "I was on leave that week." in register
    assert _actions(request) == ["witness.requested", "witness.declined"]


# ---- refusals -------------------------------------------------------------------------------


def test_the_apprentices_own_email_is_refused(login, portfolio) -> None:
    client = login(portfolio.apprentice)
    response = client.post(
        f"/apprenticeships/{portfolio.id}/witnesses/new",
        data=_form(witness_email=portfolio.apprentice.email.upper()),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="witness_email-error"' in html and "own email address" in html
    assert db.session.scalar(select(WitnessRequest)) is None
    assert db.session.scalar(select(EmailDelivery)) is None


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"unit_refs": []}, "unit_refs", "at least one unit"),
        ({"unit_refs": ["ST0072/not-a-unit/9.9"]}, "unit_refs", "not a unit"),
        ({"witness_email": "jordan"}, "witness_email", "email address"),
        ({"note": ""}, "note", "what happened"),
        (
            {"activity_date": (dt.date.today() + dt.timedelta(days=2)).isoformat()},
            "activity_date",
            "future",
        ),
    ],
)
def test_bad_requests_are_refused_at_their_field(login, portfolio, changes, field, words) -> None:
    client = login(portfolio.apprentice)
    response = client.post(f"/apprenticeships/{portfolio.id}/witnesses/new", data=_form(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in html and words in html
    assert db.session.scalar(select(WitnessRequest)) is None


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"statement": "   "}, "statement", "Write your statement"),
        ({"statement": "x" * (services.STATEMENT_MAX + 1)}, "statement", "20,000"),
        ({"typed_signature": "Somebody Else"}, "typed_signature", "exactly as you gave it"),
        ({"declaration": ""}, "declaration", "Tick the declaration"),
        ({"signer_name": ""}, "signer_name", "full name"),
    ],
)
def test_bad_statements_are_refused_at_their_field(app, portfolio, changes, field, words) -> None:
    request, token = _ask(portfolio)
    response = app.test_client().post(f"/witness/{token}/sign", data=_sign_form(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:2000]
    assert f'id="{field}-error"' in html and words in html
    assert db.session.scalar(select(Evidence)) is None
    assert request.state(db.utcnow()) is WitnessState.WAITING  # the link still works


def test_the_longest_statement_signs_and_renders(portfolio) -> None:
    request, _ = _ask(portfolio)
    words = ("Amira listened carefully ✓ and résolved it. " * 1000)[: services.STATEMENT_MAX - 20]
    longest = words + "\n" + "x" * 19  # a last line of one long word, up to the limit exactly
    assert len(longest) == services.STATEMENT_MAX
    signature = _sign(request, statement=longest)
    assert signature.evidence.description == longest
    with get_storage().open(signature.pdf_file.key) as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert services.verify_signature(signature, get_storage()).ok


def test_a_refused_upload_stores_nothing(app, portfolio) -> None:
    request, token = _ask(portfolio)
    storage = get_storage()
    before = set(storage.keys(""))
    response = app.test_client().post(
        f"/witness/{token}/sign",
        data={**_sign_form(), "file": (io.BytesIO(b"MZ\x90\x00not a document"), "run.exe")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 415
    assert 'id="file-error"' in response.get_data(as_text=True)
    assert set(storage.keys("")) == before
    assert request.state(db.utcnow()) is WitnessState.WAITING


def test_a_statement_with_an_audio_recording(app, portfolio) -> None:
    _request, token = _ask(portfolio)
    response = app.test_client().post(
        f"/witness/{token}/sign",
        data={
            **_sign_form(statement=""),
            "file": ((SAMPLES / "sample.mp3").open("rb"), "what I saw.mp3"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    signature = db.session.scalar(select(WitnessSignature))
    assert signature.evidence.file.mime_type.startswith("audio/")
    assert signature.evidence.description == ""
    assert services.verify_signature(signature, get_storage()).ok


# ---- the register, to-do lists ---------------------------------------------------------------


def test_register_lists_every_witness_with_requests_and_statements(login, portfolio) -> None:
    signed, _ = _ask(portfolio)
    _sign(signed)
    _ask(portfolio, witness_name="Sam Other", witness_email="sam@example.test")
    client = login(portfolio.line_manager)
    html = client.get(f"/apprenticeships/{portfolio.id}/witnesses").get_data(as_text=True)
    assert "Jordan Blake" in html and "Sam Other" in html
    assert "Signed" in html and "Waiting for the witness" in html
    assert "Send a new link" not in html  # the line manager reads; asker and tutor manage
    portfolio_page = client.get(f"/apprenticeships/{portfolio.id}").get_data(as_text=True)
    assert f"/apprenticeships/{portfolio.id}/witnesses" in portfolio_page


def test_todo_lists_show_waiting_declined_and_expired(portfolio) -> None:
    _waiting, _ = _ask(portfolio)
    declined, _ = _ask(portfolio, witness_name="Dee Clined", witness_email="dee@example.test")
    services.decline(declined, reason="Not me", client=services.ClientInfo("x", "y"))
    expired, _ = _ask(portfolio, witness_name="Ex Pired", witness_email="ex@example.test")
    expired.expires_at = db.utcnow() - dt.timedelta(days=1)
    db.session.flush()
    for person in (portfolio.apprentice, portfolio.tutor):
        items = {i.kind: i for i in todo_for(person) if i.kind.startswith("witness_")}
        assert set(items) == {"witness_waiting", "witness_declined", "witness_expired"}
        assert "ask again" in items["witness_expired"].text
        assert "Not me" in items["witness_declined"].detail
        assert items["witness_waiting"].url == f"/apprenticeships/{portfolio.id}/witnesses"
    # Asking the same person again replaces the expired line.
    services.resend_request(portfolio.apprentice, expired, link_days=14)
    kinds = [i.kind for i in todo_for(portfolio.apprentice) if i.kind.startswith("witness_")]
    assert sorted(kinds) == ["witness_declined", "witness_waiting", "witness_waiting"]


# ---- who may do what -------------------------------------------------------------------------


@pytest.fixture
def assessed(make):
    """A journey whose locked showcase holds a signed witness statement, with its assessor."""
    journey = build_journey(make)
    item, _ao, people, items = journey
    request, _ = _ask(item)
    signature = _sign(request)
    for tag_ in signature.evidence.tags:
        from showcase.evidence import services as evidence

        evidence.review_tag(item.tutor, tag_, accept=True)
    items.append(signature.evidence)
    draft = prepare(journey)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(people["apprentice"], draft, storage=storage, written=written)
    assessment.assign(people["ao_admin"], draft, people["assessor"])
    people["stranger_tutor"] = make.user(Role.TUTOR)
    people["stranger_apprentice"] = make.user(Role.APPRENTICE)
    people["provider_admin"] = make.user(Role.ADMIN, item.provider)
    return item, people, signature, request


READERS = {
    "apprentice": 200,
    "manager": 200,
    "tutor": 200,
    "provider_admin": 200,
    "assessor": 200,  # assigned to the locked showcase
    "other_assessor": 404,
    "qa": 404,  # nothing to sample before a grade is confirmed
    "stranger_tutor": 404,
    "stranger_apprentice": 404,
}


@pytest.mark.parametrize(("who", "status"), READERS.items())
def test_who_sees_the_register_the_record_and_verify(client, assessed, who, status) -> None:
    item, people, signature, _ = assessed
    sign_in(client, people[who])
    for path in (
        f"/apprenticeships/{item.id}/witnesses",
        f"/witness-statements/{signature.evidence_id}",
        f"/witness-statements/{signature.evidence_id}/verify",
        f"/witness-statements/{signature.evidence_id}/pdf",
    ):
        assert client.get(path).status_code == status, (who, path)
    if status == 200 and who == "assessor":
        html = client.get(f"/witness-statements/{signature.evidence_id}/verify").get_data(
            as_text=True
        )
        assert "Verified" in html and signature.statement_sha256 in html


def test_the_assessor_sees_the_signature_in_the_locked_showcase(client, assessed) -> None:
    _item, people, signature, _ = assessed
    sign_in(client, people["assessor"])
    (assessment_id,) = db.session.scalars(
        select(assessment.Assessment.id).where(
            assessment.Assessment.assessor_id == people["assessor"].id
        )
    )
    html = client.get(f"/assessments/{assessment_id}").get_data(as_text=True)
    assert f"/witness-statements/{signature.evidence_id}/verify" in html
    assert "Signed by Jordan Blake" in html


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("apprentice", True), ("tutor", True), ("manager", False), ("assessor", False)],
)
def test_who_may_ask_resend_and_withdraw(make, who, allowed) -> None:
    item, _ao, people, _ = build_journey(make)
    actor = people[who]
    if allowed:
        request = services.request_statement(actor, item, _details(), link_days=14)
        services.resend_request(actor, request, link_days=14)
        services.revoke_request(actor, request)
        assert request.state(db.utcnow()) is WitnessState.REVOKED
        return
    with pytest.raises(Forbidden):
        services.request_statement(actor, item, _details(), link_days=14)
    request = services.request_statement(people["apprentice"], item, _details(), link_days=14)
    with pytest.raises(Forbidden):
        services.resend_request(actor, request, link_days=14)
    with pytest.raises(Forbidden):
        services.revoke_request(actor, request)


def test_signing_needs_the_link_not_an_account(app, login, portfolio) -> None:
    """Only the holder of the link signs: no page of a signed-in person signs for a witness,
    and a used link signs nothing more."""
    _request, token = _ask(portfolio)
    for person in (portfolio.apprentice, portfolio.tutor):
        client = login(person)
        assert client.post(f"/witness/{token[::-1]}/sign", data=_sign_form()).status_code == 404
        client.post("/sign-out")
    assert db.session.scalar(select(WitnessSignature)) is None
    with pytest.raises(ValidationFailed):
        services.request_statement(
            portfolio.apprentice,
            portfolio,
            _details(witness_email=portfolio.apprentice.email),
            link_days=14,
        )


# ---- the API --------------------------------------------------------------------------------


def test_api_asks_lists_resends_revokes_and_verifies(client, make) -> None:
    journey = build_journey(make)
    item, _, people, _ = journey
    headers = api_headers(people["apprentice"])
    body = {
        "witness_name": "Jordan Blake",
        "witness_email": "jordan.blake@example.test",
        "witness_role": "Team leader",
        "witness_relationship": "Shift supervisor",
        "unit_refs": UNITS,
        "activity_date": dt.date.today().isoformat(),
        "note": "The Saturday rush.",
    }
    created = client.post(
        f"/api/v1/apprenticeships/{item.id}/witness-requests", json=body, headers=headers
    )
    assert created.status_code == 201, created.get_json()
    request_id = created.get_json()["id"]
    assert created.get_json()["state"] == "waiting"
    listed = client.get(f"/api/v1/apprenticeships/{item.id}/witness-requests", headers=headers)
    assert [r["id"] for r in listed.get_json()["items"]] == [request_id]
    own = client.post(
        f"/api/v1/apprenticeships/{item.id}/witness-requests",
        json={**body, "witness_email": item.apprentice.email},
        headers=headers,
    )
    assert own.status_code == 422 and own.get_json()["error"]["field"] == "witness_email"
    manager = api_headers(people["manager"])
    assert (
        client.post(
            f"/api/v1/apprenticeships/{item.id}/witness-requests", json=body, headers=manager
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/witness-requests/{request_id}/resend", headers=manager).status_code
        == 403
    )
    resent = client.post(f"/api/v1/witness-requests/{request_id}/resend", headers=headers)
    assert resent.status_code == 200 and resent.get_json()["sends"] == 2

    request = db.session.get(WitnessRequest, request_id)
    signature = _sign(request)
    sig = client.get(
        f"/api/v1/witness-statements/{signature.evidence_id}/signature", headers=manager
    )
    assert sig.status_code == 200
    assert sig.get_json()["statement_sha256"] == signature.statement_sha256
    verified = client.get(
        f"/api/v1/witness-statements/{signature.evidence_id}/verify", headers=headers
    ).get_json()
    assert verified["ok"] is True and verified["recomputed_sha256"] == signature.statement_sha256
    stranger = api_headers(make.user(Role.TUTOR))
    assert (
        client.get(
            f"/api/v1/witness-statements/{signature.evidence_id}/verify", headers=stranger
        ).status_code
        == 404
    )
    assert (
        client.post(f"/api/v1/witness-requests/{request_id}/revoke", headers=headers).status_code
        == 409
    )

    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/apprenticeships/{apprenticeship_id}/witness-requests",
        "/api/v1/witness-requests/{request_id}/resend",
        "/api/v1/witness-requests/{request_id}/revoke",
        "/api/v1/witness-statements/{evidence_id}/signature",
        "/api/v1/witness-statements/{evidence_id}/verify",
    ):
        assert path in paths
    assert not [p for p in paths if p.startswith("/api/v1/witness/")]


def test_witness_pages_are_rate_limited(tmp_path, database_kind) -> None:
    if database_kind != "sqlite":
        pytest.skip("the limiter does not depend on the database")
    from tests.conftest import built_app

    with built_app(
        database_kind,
        tmp_path,
        suffix="-limits",
        RATELIMIT_ENABLED=True,
        WITNESS_RATE_LIMIT="3 per minute",
    ) as limited:
        client = limited.test_client()
        statuses = [client.get("/witness/nothing-here").status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]


def test_refs_helper_matches_units(portfolio) -> None:
    assert set(UNITS) <= set(refs(portfolio))


def test_demo_has_a_signed_statement_in_amiras_showcase_and_bens_open_request(session) -> None:
    from showcase.accounts.models import User
    from showcase.demo import load_demo
    from showcase.submissions.models import SubmissionItem

    load_demo()
    signature = db.session.scalar(select(WitnessSignature))
    assert signature.signer_name == "Jordan Blake"
    assert signature.evidence.apprenticeship.apprentice.email == "amira@northgate.test"
    assert {t.status for t in signature.evidence.tags} == {TagStatus.ACCEPTED}
    assert services.verify_signature(signature, get_storage()).ok
    in_showcase = db.session.scalar(
        select(SubmissionItem).where(SubmissionItem.evidence_id == signature.evidence_id)
    )
    assert in_showcase is not None and in_showcase.submission.is_locked
    ben = db.session.scalar(select(User).where(User.email == "ben@northgate.test"))
    assert [i.text for i in todo_for(ben) if i.kind == "witness_waiting"] == [
        "Witness statement asked of Priya Shah: waiting for them"
    ]


# ---- races (PostgreSQL, real commits) ------------------------------------------------------


@pytest.fixture(scope="module")
def committing_app(database_kind: str, tmp_path_factory: pytest.TempPathFactory):
    if database_kind != "postgresql":
        pytest.skip("SQLite has one writer at a time; these races are PostgreSQL's")
    from tests.conftest import built_app

    with built_app(database_kind, tmp_path_factory.mktemp("witness-race"), "_witness_race") as app:
        yield app


@pytest.fixture(scope="module")
def race_factory():
    """One factory for the module: its numbering keeps emails unique across committed tests."""
    from tests.factories import Factory

    return Factory()


def _race_request(app, make_factory) -> int:
    with app.app_context():
        portfolio = make_factory.apprenticeship()
        request = services.request_statement(
            portfolio.apprentice, portfolio, _details(), link_days=14
        )
        db.session.commit()
        return request.id


@pytest.mark.parametrize("other", ["sign", "revoke"])
def test_a_link_used_twice_at_once_signs_once(committing_app, race_factory, other) -> None:
    from tests.races import race

    request_id = _race_request(committing_app, race_factory)

    def sign() -> None:
        _sign(db.session.get(WitnessRequest, request_id))

    def revoke() -> None:
        request = db.session.get(WitnessRequest, request_id)
        services.revoke_request(request.apprenticeship.apprentice, request)

    errors = race(committing_app, sign, sign if other == "sign" else revoke)
    assert len(errors) == 1 and isinstance(errors[0], services.LinkGone | Conflict), errors
    with committing_app.app_context():
        request = db.session.get(WitnessRequest, request_id)
        assert request.state(db.utcnow()) is WitnessState.SIGNED
        signed = db.session.scalar(
            select(func.count())
            .select_from(WitnessSignature)
            .where(WitnessSignature.request_id == request_id)
        )
        statements = db.session.scalar(
            select(func.count())
            .select_from(Evidence)
            .where(Evidence.apprenticeship_id == request.apprenticeship_id)
        )
        assert (signed, statements) == (1, 1)
