"""Absolute links come from the configured base URL, never the Host header; the sign-in redirect
goes only to a path on this site, judged on the wire (what the Location header really says)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from showcase import create_app, db, migrate
from showcase.accounts import services
from showcase.accounts.models import OrganisationKind, Role
from showcase.db import get_database
from showcase.links import external_url
from showcase.mail.models import OutboxMessage
from tests.factories import PASSWORD


def test_external_url_uses_the_base_url_with_or_without_a_request(app) -> None:
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = "https://showcase.example.org/epa/"
    try:
        with app.app_context():
            assert external_url("accounts.accept_invitation", token="abc") == (
                "https://showcase.example.org/epa/invitations/abc"
            )
        with app.test_request_context("/", headers={"Host": "evil.example"}):
            assert external_url("accounts.sign_in").startswith("https://showcase.example.org/epa/")
    finally:
        app.config["BASE_URL"] = saved


def test_links_in_invitation_emails_ignore_the_host_header(client, make) -> None:
    employer = make.organisation(OrganisationKind.EMPLOYER)
    admin = make.user(Role.ADMIN, employer)
    person = make.user(Role.APPRENTICE, employer, password_hash=None)
    evil = {"Host": "evil.example"}
    client.post("/sign-in", data={"email": admin.email, "password": PASSWORD}, headers=evil)
    response = client.post(f"/admin/users/{person.id}/invite", headers=evil)
    assert response.status_code == 302
    message = db.session.query(OutboxMessage).filter_by(to=person.email).one()
    assert "evil.example" not in message.text
    assert client.application.config["BASE_URL"].rstrip("/") + "/invitations/" in message.text


class Live:
    def __init__(self, port: int, email: str) -> None:
        self.port = port
        self.email = email

    def sign_in(self, target: str) -> tuple[int, str | None]:
        """POST the sign-in form to ``/sign-in?next=<target>`` sent byte for byte as given."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        body = f"email={self.email}&password={PASSWORD.replace(' ', '+')}"
        connection.request(
            "POST",
            f"/sign-in?next={target}",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        connection.close()
        return response.status, response.getheader("Location")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("links")
    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp / 'links.sqlite'}")
    migrate.upgrade(get_database(app).engine)
    with app.app_context():
        org = services.create_organisation(None, name="Northgate", kind=OrganisationKind.EMPLOYER)
        user = services.create_user(
            None,
            email="tutor@links.test",
            name="Tess Tutor",
            role=Role.ADMIN,
            organisation=org,
            password=PASSWORD,
        )
        db.session.commit()
        email = user.email
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(server.server_port, email)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        get_database(app).engine.dispose()


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%0D/evil.example",
        "/%0D%0ASet-Cookie:x=1",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "//evil.example",
        "/%2F/evil.example",
        "https://evil.example/",
        "https:evil.example",
        "%09//evil.example",
        "/%00/evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_redirects_off_site(live: Live, target: str) -> None:
    status, location = live.sign_in(target)
    if status != 302:
        # Refusing the request outright (NUL bytes, say) is fine too; failing (500) is not.
        assert 400 <= status < 500, f"next={target} answered {status}"
        return
    assert location == "/", f"next={target} sent the browser to {location!r}"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/apprenticeships/3?tab=evidence", "/apprenticeships/3?tab=evidence"),
        ("/%C3%A9", "/%C3%A9"),
        ("/%E2%82%AC", "/%E2%82%AC"),  # not Latin-1: written raw, the header would fail (500)
    ],
)
def test_sign_in_still_returns_to_a_page_on_this_site(live: Live, target: str, expected) -> None:
    status, location = live.sign_in(target.replace("?", "%3F").replace("=", "%3D"))
    assert (status, location) == (302, expected)
