"""Mail: the outbox (development default, a page only platform admins see) and SMTP, tested
against a real aiosmtpd server on loopback."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import OrganisationKind, Role
from showcase.errors import ShowcaseError
from showcase.mail import send_email
from showcase.mail.models import OutboxMessage
from tests.conftest import sign_in
from tests.mailserver import mailserver, smtp_app  # noqa: F401  (fixtures)


def test_outbox_backend_stores_the_message(session) -> None:
    send_email("someone@example.test", "Hello", "Plain text", headers={"X-Showcase-Reason": "t"})
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.to == "someone@example.test")
    )
    assert (message.subject, message.text) == ("Hello", "Plain text")
    assert message.headers["X-Showcase-Reason"] == "t"


@pytest.mark.parametrize(
    ("who", "status"),
    [("platform admin", 200), ("organisation admin", 404), ("tutor", 404), ("nobody", 302)],
)
def test_outbox_page_is_for_platform_admins_only(client, make, who, status) -> None:
    send_email("someone@example.test", "Hello", "Open http://127.0.0.1:5000/invitations/abc now")
    people = {
        "platform admin": lambda: make.user(Role.ADMIN, None),
        "organisation admin": lambda: make.user(Role.ADMIN, make.organisation()),
        "tutor": lambda: make.user(Role.TUTOR),
    }
    if who in people:
        sign_in(client, people[who]())
    response = client.get("/admin/outbox")
    assert response.status_code == status
    if status == 200:
        html = response.get_data(as_text=True)
        assert '<a href="http://127.0.0.1:5000/invitations/abc">' in html
        assert "someone@example.test" in html


def test_outbox_escapes_what_it_shows(client, make) -> None:
    send_email("x@example.test", "<b>hi</b>", 'see http://a.test/"><script>alert(1)</script>')
    sign_in(client, make.user(Role.ADMIN, None))
    html = client.get("/admin/outbox").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<b>hi</b>" not in html


def test_smtp_backend_delivers_to_a_real_server(smtp_app, mailserver) -> None:  # noqa: F811
    with smtp_app.app_context():
        send_email(
            "someone@example.test",
            "Hello",
            "Plain text",
            html="<p>Plain text</p>",
            headers={"X-Showcase-Reason": "test"},
        )
    (received,) = mailserver.received
    assert received.rcpt_tos == ["someone@example.test"]
    assert received.message["Subject"] == "Hello"
    assert received.message["From"] == "Showcase <no-reply@showcase.test>"
    assert received.message["X-Showcase-Reason"] == "test"
    assert received.body().strip() == "Plain text"
    assert "<p>Plain text</p>" in received.message.get_body(("html",)).get_content()
    assert mailserver.logins == ["showcase"]
    assert received.message["Message-ID"] and received.message["Date"]


def test_smtp_refuses_header_injection(smtp_app, mailserver) -> None:  # noqa: F811
    with smtp_app.app_context(), pytest.raises((ValueError, ShowcaseError)):
        send_email("a@example.test\r\nBcc: victim@example.test", "Hi", "x")
    assert mailserver.received == []


def test_a_forgotten_password_arrives_by_smtp(smtp_app, mailserver, client, make) -> None:  # noqa: F811
    person = make.user(Role.TUTOR, make.organisation(OrganisationKind.TRAINING_PROVIDER))
    client.post("/sign-in/forgot", data={"email": person.email})
    (received,) = mailserver.received
    assert received.rcpt_tos == [person.email]
    body = received.body()
    (link,) = re.findall(r"https?://\S+", body)
    assert link.startswith(smtp_app.config["BASE_URL"].rstrip("/") + "/password-reset/")
    # Nothing in the message beyond what it needs: no name, role or organisation.
    assert person.name not in body and person.organisation.name not in body
    assert db.session.scalar(select(OutboxMessage)) is None


def test_an_invitation_arrives_by_smtp(smtp_app, mailserver, client, make) -> None:  # noqa: F811
    employer = make.organisation(OrganisationKind.EMPLOYER)
    admin = make.user(Role.ADMIN, employer)
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
    (received,) = mailserver.received
    assert received.rcpt_tos == ["nadia@example.test"]
    assert "/invitations/" in received.body()
    assert employer.name in received.body()  # why: who invited them
