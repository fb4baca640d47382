"""Invitations and password resets: one open link per person, re-invite only for people with no
password, forced and self-service resets by email, the same refusal for "not yours" and "no such
person", and an audit entry for every account event."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts import services
from showcase.accounts.models import ApiToken, Invitation, OrganisationKind, Role, User
from showcase.audit.models import AuditEntry
from showcase.mail.models import OutboxMessage
from tests.conftest import sign_in
from tests.factories import PASSWORD

NEW_PASSWORD = "lantern orchard ripple"
OTHER_PASSWORD = "cobalt meadow whistle"
NOT_YOURS = "No such person among those you administer."


def outbox(to: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id)
        )
    )


def link_in(message: OutboxMessage) -> str:
    """The path of the one Showcase link in a message (the links are absolute)."""
    urls = re.findall(r"https?://\S+", message.text)
    assert len(urls) == 1, message.text
    return urls[0].removeprefix("http://showcase.test")


def actions(subject: User) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "User", AuditEntry.object_id == subject.id)
            .order_by(AuditEntry.id)
        )
    )


@pytest.fixture(autouse=True)
def _base_url(app):
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = "http://showcase.test"
    yield
    app.config["BASE_URL"] = saved


@pytest.fixture
def employer(make):
    return make.organisation(OrganisationKind.EMPLOYER)


@pytest.fixture
def admin(make, employer):
    return make.user(Role.ADMIN, employer)


def signs_in(person: User, password: str) -> bool:
    """Whether ``password`` is now ``person``'s (read afresh: requests changed the row)."""
    db.session.expire_all()
    return services.authenticate(person.email, password) is person


def set_password(client, path: str, password: str, **extra: str):
    return client.post(path, data={"password": password, "confirm": password, **extra})


def test_adding_a_person_emails_the_invitation_and_shows_no_link(client, admin, employer) -> None:
    sign_in(client, admin)
    page = client.post(
        f"/admin/organisations/{employer.id}",
        data={
            "name": "Nadia Okafor",
            "email": "nadia@example.test",
            "role": "apprentice",
            "organisation_id": str(employer.id),
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Invitation sent to nadia@example.test" in html
    assert "/invitations/" not in html
    (message,) = outbox("nadia@example.test")
    assert "invited" in message.subject.lower()
    assert "because" in message.text  # says why it was sent
    assert link_in(message).startswith("/invitations/")


def test_an_older_invitation_stops_working_once_a_newer_one_is_issued(client, make) -> None:
    person = make.user(Role.APPRENTICE, password_hash=None)
    first = services.issue_invitation(None, person, ttl_hours=1)
    second = services.issue_invitation(None, person, ttl_hours=1)
    old = client.get(f"/invitations/{first}")
    assert old.status_code == 422
    assert person.email not in old.get_data(as_text=True)
    assert set_password(client, f"/invitations/{first}", OTHER_PASSWORD).status_code == 422
    assert set_password(client, f"/invitations/{second}", NEW_PASSWORD).status_code == 302
    assert signs_in(person, NEW_PASSWORD)


def test_accepting_one_link_cancels_every_other_open_one(client, make) -> None:
    # Two links open at once (issued by hand, as a race between two admins would leave them).
    person = make.user(Role.APPRENTICE, password_hash=None)
    first = services.issue_invitation(None, person, ttl_hours=1)
    invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == person.id))
    invitation.cancelled_at = None
    second = services.issue_invitation(None, person, ttl_hours=1)
    invitation.cancelled_at = None
    db.session.flush()
    assert set_password(client, f"/invitations/{second}", NEW_PASSWORD).status_code == 302
    assert set_password(client, f"/invitations/{first}", OTHER_PASSWORD).status_code == 422
    assert signs_in(person, NEW_PASSWORD)
    assert not signs_in(person, OTHER_PASSWORD)


def test_reinvite_emails_a_person_without_a_password(client, make, admin, employer) -> None:
    person = make.user(Role.APPRENTICE, employer, password_hash=None)
    sign_in(client, admin)
    response = client.post(f"/admin/users/{person.id}/invite", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"Invitation sent to {person.email}" in html
    assert "/invitations/" not in html
    (message,) = outbox(person.email)
    assert set_password(client, link_in(message), NEW_PASSWORD).status_code == 302


def test_reinvite_is_refused_alike_for_active_accounts_strangers_and_nobody(
    client, make, admin, employer
) -> None:
    other_admin = make.user(Role.ADMIN, employer)
    elsewhere = make.user(Role.APPRENTICE, make.organisation(), password_hash=None)
    sign_in(client, admin)
    bodies = []
    for user_id in (other_admin.id, elsewhere.id, 999_999):
        response = client.post(f"/admin/users/{user_id}/invite")
        assert response.status_code == 404
        bodies.append(response.get_data(as_text=True))
        assert NOT_YOURS in bodies[-1]
    assert outbox(other_admin.email) == [] and outbox(elsewhere.email) == []
    assert db.session.scalar(select(Invitation).where(Invitation.user_id == other_admin.id)) is None


def test_creating_a_person_whose_email_exists_elsewhere_does_not_say_where(
    client, make, admin, employer
) -> None:
    mine = make.user(Role.APPRENTICE, employer)
    elsewhere = make.user(Role.APPRENTICE, make.organisation())
    sign_in(client, admin)
    messages = []
    for email in (mine.email, elsewhere.email):
        page = client.post(
            f"/admin/organisations/{employer.id}",
            data={
                "name": "Someone",
                "email": email,
                "role": "apprentice",
                "organisation_id": str(employer.id),
            },
        )
        html = page.get_data(as_text=True)
        messages.append(re.search(r'class="error-message"[^>]*>([^<]*)<', html).group(1))
    assert messages[0] == messages[1]
    assert "There is already an account" not in messages[0]


def test_forgot_password_emails_a_single_use_link(client, make) -> None:
    person = make.user(Role.TUTOR)
    page = client.get("/sign-in")
    assert "Forgot your password?" in page.get_data(as_text=True)
    response = client.post("/sign-in/forgot", data={"email": person.email.upper()})
    assert response.status_code == 200
    (message,) = outbox(person.email)
    assert "reset" in message.subject.lower()
    assert "If you did not ask" in message.text
    path = link_in(message)
    assert path.startswith("/password-reset/")
    assert set_password(client, path, NEW_PASSWORD).status_code == 302
    assert signs_in(person, NEW_PASSWORD)
    again = client.get(path)
    assert again.status_code == 422


def test_forgot_password_answers_the_same_for_unknown_addresses(client, make) -> None:
    person = make.user(Role.TUTOR)
    known = client.post("/sign-in/forgot", data={"email": person.email})
    unknown = client.post("/sign-in/forgot", data={"email": "nobody@example.test"})
    assert known.status_code == unknown.status_code == 200

    def scrub(html: str, email: str) -> str:
        return html.replace(email, "EMAIL")

    assert scrub(known.get_data(as_text=True), person.email) == scrub(
        unknown.get_data(as_text=True), "nobody@example.test"
    )
    assert outbox("nobody@example.test") == []


def test_a_reset_link_cancels_an_earlier_one(client, make) -> None:
    person = make.user(Role.TUTOR)
    client.post("/sign-in/forgot", data={"email": person.email})
    client.post("/sign-in/forgot", data={"email": person.email})
    first, second = outbox(person.email)
    assert set_password(client, link_in(first), OTHER_PASSWORD).status_code == 422
    assert set_password(client, link_in(second), NEW_PASSWORD).status_code == 302


def test_forced_reset_ends_sessions_and_emails_the_person(app, client, make, admin, employer):
    person = make.user(Role.APPRENTICE, employer)
    theirs = app.test_client()
    sign_in(theirs, person)
    sign_in(client, admin)
    response = client.post(f"/admin/users/{person.id}/reset-password", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "/password-reset/" not in html
    assert theirs.get("/").status_code == 302, "their session survived the forced reset"
    # The old password no longer signs them in.
    refused = theirs.post("/sign-in", data={"email": person.email, "password": PASSWORD})
    assert refused.status_code == 401
    assert "choose a new password" in refused.get_data(as_text=True)
    (message,) = outbox(person.email)
    assert "administrator" in message.text
    assert set_password(theirs, link_in(message), NEW_PASSWORD).status_code == 302
    assert theirs.get("/").status_code == 200
    again = app.test_client()
    assert (
        again.post("/sign-in", data={"email": person.email, "password": NEW_PASSWORD}).status_code
        == 302
    )


def test_forced_reset_is_refused_for_people_not_yours(client, make, admin) -> None:
    stranger = make.user(Role.APPRENTICE, make.organisation())
    sign_in(client, admin)
    response = client.post(f"/admin/users/{stranger.id}/reset-password")
    assert response.status_code == 404
    assert NOT_YOURS in response.get_data(as_text=True)
    assert outbox(stranger.email) == []


def test_reset_offers_to_revoke_api_tokens_checked_by_default(client, make) -> None:
    person = make.user(Role.TUTOR)
    _token, plain = services.create_api_token(person, name="script")
    client.post("/sign-in/forgot", data={"email": person.email})
    (message,) = outbox(person.email)
    page = client.get(link_in(message)).get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*name="revoke_tokens"|name="revoke_tokens"[^>]*checked', page
    )
    # A browser sends a checked box; the form posts it.
    set_password(client, link_in(message), NEW_PASSWORD, revoke_tokens="y")
    assert services.user_for_api_token(plain) is None


def test_reset_can_keep_api_tokens(client, make) -> None:
    person = make.user(Role.TUTOR)
    _token, plain = services.create_api_token(person, name="script")
    client.post("/sign-in/forgot", data={"email": person.email})
    (message,) = outbox(person.email)
    assert set_password(client, link_in(message), NEW_PASSWORD).status_code == 302
    assert services.user_for_api_token(plain) is person


def test_account_events_are_audited_with_actor_and_subject(client, make, admin, employer):
    sign_in(client, admin)
    client.post(
        f"/admin/organisations/{employer.id}",
        data={
            "name": "Nadia Okafor",
            "email": "nadia@example.test",
            "role": "apprentice",
            "organisation_id": str(employer.id),
        },
    )
    nadia = db.session.scalar(select(User).where(User.email == "nadia@example.test"))
    client.post(f"/admin/users/{nadia.id}/invite")
    (_first, second) = outbox(nadia.email)
    set_password(client, link_in(second), NEW_PASSWORD)
    client.post("/sign-out")
    sign_in(client, admin)
    client.post(f"/admin/users/{nadia.id}/reset-password")
    assert actions(nadia) == [
        "user.created",
        "invitation.issued",
        "invitation.issued",
        "invitation.accepted",
        "password_reset.issued",
    ]
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_id == nadia.id, AuditEntry.object_type == "User")
    ).all()
    actors = [e.actor_id for e in entries]
    assert actors == [admin.id, admin.id, admin.id, nadia.id, admin.id]
    # No personal data beyond ids in the permanent record.
    assert all(nadia.email not in str(e.details) for e in entries)


def test_api_token_and_organisation_events_are_audited(client, make) -> None:
    platform = make.user(Role.ADMIN, None)
    sign_in(client, platform)
    client.post("/admin/organisations", data={"name": "Harbour Foods", "kind": "employer"})
    client.post("/account/tokens", data={"name": "script"})
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == platform.id))
    client.post(f"/account/tokens/{token.id}/revoke")
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.object_type)
        .where(AuditEntry.actor_id == platform.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("organisation.created", platform.id, "Organisation"),
        ("api_token.created", platform.id, "ApiToken"),
        ("api_token.revoked", platform.id, "ApiToken"),
    ]


@pytest.fixture
def own_limiter() -> Iterator[None]:
    """Put the shared Limiter back as it was: it is one object for every app, and the last
    init_app's settings (enabled, store) win, so this test's would leak into later tests."""
    from showcase.extensions import limiter

    saved = dict(limiter.__dict__)
    yield
    limiter.__dict__.clear()
    limiter.__dict__.update(saved)


@pytest.mark.usefixtures("own_limiter")
def test_forgot_password_is_rate_limited_per_client_and_per_address(tmp_path) -> None:
    from showcase import create_app, migrate
    from showcase.db import get_database

    app = create_app(
        "testing",
        DATABASE_URL=f"sqlite:///{tmp_path / 'forgot.sqlite'}",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        FORGOT_PASSWORD_RATE_LIMIT="2 per minute",
    )
    migrate.upgrade(get_database(app).engine)
    one, other = app.test_client(), app.test_client()
    asked = [
        one.post("/sign-in/forgot", data={"email": "x@example.test"}).status_code,
        one.post("/sign-in/forgot", data={"email": "y@example.test"}).status_code,
        one.post("/sign-in/forgot", data={"email": "z@example.test"}).status_code,
    ]
    assert asked == [200, 200, 429]
    # Another client (same loopback address in this test) is held back by the address count;
    # the per-address count is what stops many clients flooding one mailbox.
    other_asked = other.post(
        "/sign-in/forgot",
        data={"email": "x@example.test"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert other_asked.status_code == 200
    flooded = other.post(
        "/sign-in/forgot",
        data={"email": "x@example.test"},
        environ_base={"REMOTE_ADDR": "192.0.2.8"},
    )
    assert flooded.status_code == 429
    get_database(app).engine.dispose()


def test_changing_a_password_needs_the_current_one_and_is_audited(app, client, make) -> None:
    person = make.user(Role.TUTOR)
    other_device = app.test_client()
    sign_in(other_device, person)
    sign_in(client, person)
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not it at all",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 422
    assert "not your current password" in wrong.get_data(as_text=True)
    common = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "password12", "confirm": "password12"},
    )
    assert "common" in common.get_data(as_text=True)
    done = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert client.get("/account").status_code == 200, "this session should carry on"
    assert other_device.get("/").status_code == 302, "other sessions should end"
    assert signs_in(person, NEW_PASSWORD)
    assert actions(person) == ["password.changed"]
