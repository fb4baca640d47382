"""External quality assurance: grant by email, accept, read and export only what was granted,
change nothing, lose it all on expiry or revocation; every page viewed is audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import OrganisationKind, Role, User
from showcase.audit.models import AuditEntry
from showcase.mail.models import OutboxMessage
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from showcase.submissions.models import AccessGrant, Submission
from tests.factories import PASSWORD, build_journey, prepare

EQA_EMAIL = "inspector@ofqual.test"
NEW_PASSWORD = "lantern orchard ripple"


@pytest.fixture(autouse=True)
def _base_url(app):
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = "http://showcase.test"
    yield
    app.config["BASE_URL"] = saved


def grant(client, submission_ids, *, email=EQA_EMAIL, days="14"):
    return client.post(
        "/admin/eqa",
        data={"email": email, "name": "Ivy Inspector", "submission": submission_ids, "days": days},
    )


def accept_invitation(client) -> User:
    (message,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == EQA_EMAIL))
    (url,) = re.findall(r"https?://\S+", message.text)
    path = url.removeprefix("http://showcase.test")
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return db.session.scalar(select(User).where(User.email == EQA_EMAIL))


def sign_in_as(client, email: str, password: str) -> None:
    client.post("/sign-out")
    response = client.post("/sign-in", data={"email": email, "password": password})
    assert response.status_code == 302


@pytest.fixture
def granted(client, login, journey, locked):
    """The journey's locked showcase granted to a new external quality assurer, who has
    accepted the emailed invitation and is signed in."""
    login(journey[2]["ao_admin"])
    assert grant(client, [locked.id]).status_code == 302
    client.post("/sign-out")
    person = accept_invitation(client)
    sign_in_as(client, EQA_EMAIL, NEW_PASSWORD)
    return person


def other_locked_version(make) -> Submission:
    """A second apprentice's showcase, locked, sent to the same kind of organisation."""
    journey = build_journey(make)
    draft = prepare(journey)
    submissions.lock_submission(journey[2]["apprentice"], draft, storage=get_storage(), written=[])
    return draft


def test_a_grant_creates_an_eqa_account_with_no_organisation_and_emails_an_invitation(
    client, login, journey, locked
) -> None:
    login(journey[2]["ao_admin"])
    response = grant(client, [locked.id])
    assert response.status_code == 302
    person = db.session.scalar(select(User).where(User.email == EQA_EMAIL))
    assert person.role is Role.EXTERNAL_QUALITY_ASSURER
    assert person.organisation_id is None and person.password_hash is None
    (message,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == EQA_EMAIL))
    assert "/invitations/" in message.text
    page = client.get("/admin/eqa").get_data(as_text=True)
    assert "Ivy Inspector" in page and "Revoke" in page
    assert "/invitations/" not in page  # the admin never sees the link


def test_the_eqa_reads_and_exports_only_the_granted_version(client, granted, locked, make):
    other = other_locked_version(make)
    home = client.get("/").get_data(as_text=True)
    assert f"/submissions/{locked.id}" in home
    assert f"/submissions/{other.id}" not in home
    page = client.get(f"/submissions/{locked.id}")
    assert page.status_code == 200
    assert locked.manifest_sha256 in page.get_data(as_text=True)
    export = client.get(f"/submissions/{locked.id}/export.zip")
    assert export.status_code == 200
    assert export.headers["X-Showcase-Fingerprint"] == locked.manifest_sha256
    for path in (
        f"/submissions/{other.id}",
        f"/submissions/{other.id}/export.zip",
        f"/submissions/{other.id}/manifest.json",
        f"/apprenticeships/{locked.apprenticeship_id}",
        f"/apprenticeships/{locked.apprenticeship_id}/export.zip",
        "/admin/eqa",
        "/admin/audit",
        "/dashboard",
    ):
        assert client.get(path).status_code in (403, 404), path


def test_the_eqa_cannot_change_anything(client, granted, locked, journey) -> None:
    item, _ao, _people, items = journey
    before = (locked.summary, locked.status, locked.manifest_sha256, len(locked.items))
    grant_row = db.session.scalar(select(AccessGrant))
    for path, data in (
        (f"/submissions/{locked.id}/items", {"evidence": [str(items[0].id)]}),
        (f"/submissions/{locked.id}/summary", {"summary": "Changed"}),
        (f"/submissions/{locked.id}/acknowledge", {"ref": "x", "note": "y"}),
        (f"/submissions/{locked.id}/sign-off", {"confirm": "yes"}),
        (f"/submissions/{locked.id}/lock", {}),
        (f"/apprenticeships/{item.id}/showcase/start", {}),
        ("/admin/eqa", {"email": "friend@example.test", "submission": [str(locked.id)]}),
        (f"/admin/eqa/{grant_row.id}/revoke", {}),
    ):
        # 409 is the lock's own answer: the version may be read but never changed.
        assert client.post(path, data=data).status_code in (403, 404, 409), path
    db.session.expire_all()
    fresh = db.session.get(Submission, locked.id)
    assert (fresh.summary, fresh.status, fresh.manifest_sha256, len(fresh.items)) == before
    assert db.session.get(AccessGrant, grant_row.id).revoked_at is None
    assert db.session.scalar(select(User).where(User.email == "friend@example.test")) is None


def test_every_page_the_eqa_views_is_audited(client, granted, locked) -> None:
    client.get(f"/submissions/{locked.id}")
    client.get("/submissions/999999")
    views = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "eqa.viewed", AuditEntry.actor_id == granted.id
        )
    ).all()
    seen = {(e.details["path"], e.details["status"]) for e in views}
    assert (f"/submissions/{locked.id}", 200) in seen
    assert ("/submissions/999999", 404) in seen


def test_other_people_s_page_views_are_not_audited_as_eqa(client, login, journey, locked):
    login(journey[2]["ao_admin"])
    client.get(f"/submissions/{locked.id}")
    assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action == "eqa.viewed")).all()


@pytest.mark.parametrize("ending", ["revoked", "expired"])
def test_a_revoked_or_expired_grant_answers_404_everywhere(
    client, granted, locked, journey, ending
) -> None:
    row = db.session.scalar(select(AccessGrant).where(AccessGrant.user_id == granted.id))
    if ending == "revoked":
        client.post("/sign-out")
        sign_in_as(client, journey[2]["ao_admin"].email, PASSWORD)
        assert client.post(f"/admin/eqa/{row.id}/revoke").status_code == 302
        sign_in_as(client, EQA_EMAIL, NEW_PASSWORD)
    else:
        row.expires_at = db.utcnow() - dt.timedelta(seconds=1)
        db.session.flush()
    for path in (
        f"/submissions/{locked.id}",
        f"/submissions/{locked.id}/export.zip",
        f"/submissions/{locked.id}/manifest.json",
    ):
        assert client.get(path).status_code == 404, path
    assert f"/submissions/{locked.id}" not in client.get("/").get_data(as_text=True)


def test_an_admin_of_another_assessment_organisation_cannot_grant(
    client, login, make, locked
) -> None:
    elsewhere = make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION)
    login(make.user(Role.ADMIN, elsewhere))
    assert grant(client, [locked.id]).status_code == 404
    assert db.session.scalar(select(User).where(User.email == EQA_EMAIL)) is None
    assert db.session.scalar(select(AccessGrant)) is None


def test_an_employer_admin_has_no_grants_page(client, login, make) -> None:
    login(make.user(Role.ADMIN, make.organisation(OrganisationKind.EMPLOYER)))
    assert client.get("/admin/eqa").status_code == 404


def test_a_draft_cannot_be_granted(client, login, journey) -> None:
    draft = prepare(journey)
    login(journey[2]["ao_admin"])
    response = grant(client, [draft.id])
    assert response.status_code == 422
    assert "only a submitted (locked) showcase" in response.get_data(as_text=True)
    assert db.session.scalar(select(AccessGrant)) is None
    assert db.session.scalar(select(User).where(User.email == EQA_EMAIL)) is None


def test_an_email_of_another_kind_of_account_is_refused(client, login, journey, locked):
    login(journey[2]["ao_admin"])
    response = grant(client, [locked.id], email=journey[2]["tutor"].email)
    assert response.status_code == 422
    assert db.session.scalar(select(AccessGrant)) is None
    assert journey[2]["tutor"].role is Role.TUTOR


def test_a_second_grant_reuses_the_account_without_a_new_invitation(
    client, granted, locked, journey, make
) -> None:
    other = other_locked_version(make)
    other.assessment_organisation_id = journey[1].id
    db.session.flush()
    sign_in_as(client, journey[2]["ao_admin"].email, PASSWORD)
    assert grant(client, [other.id]).status_code == 302
    assert db.session.scalar(select(User).where(User.email == EQA_EMAIL)).id == granted.id
    assert (
        len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == EQA_EMAIL)).all())
        == 1
    )
    sign_in_as(client, EQA_EMAIL, NEW_PASSWORD)
    assert client.get(f"/submissions/{other.id}").status_code == 200
