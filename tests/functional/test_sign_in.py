"""Sign-in, sign-out that really ends the session, invitations, CSRF and rate limiting."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts import services
from showcase.accounts.models import Invitation, Role
from tests.conftest import sign_in
from tests.factories import PASSWORD


def test_sign_in_and_home(client, make) -> None:
    user = make.user(Role.APPRENTICE)
    response = client.post("/sign-in", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert "My portfolio" in page.get_data(as_text=True)


def test_wrong_password_is_refused_with_a_message(client, make) -> None:
    user = make.user(Role.TUTOR)
    response = client.post("/sign-in", data={"email": user.email, "password": "wrong password"})
    assert response.status_code == 401
    assert "do not match an active account" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_sign_in(client, make) -> None:
    user = make.user(Role.TUTOR, is_active=False)
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


def test_pages_need_sign_in(client) -> None:
    response = client.get("/apprenticeships/1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_next_only_redirects_within_the_site(client, make) -> None:
    user = make.user(Role.TUTOR)
    response = client.post(
        "/sign-in?next=//evil.example/x", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_sign_out_invalidates_copied_session_and_remember_cookies(app, client, make) -> None:
    user = make.user(Role.APPRENTICE)
    sign_in(client, user, remember=True)
    session_cookie = client.get_cookie("session")
    remember_cookie = client.get_cookie("remember_token")
    assert session_cookie is not None and remember_cookie is not None
    client.post("/sign-out")
    assert client.get("/").status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", session_cookie.value)
    assert thief.get("/").status_code == 302, "a session cookie copied before sign-out still works"
    thief = app.test_client()
    thief.set_cookie("remember_token", remember_cookie.value)
    assert thief.get("/").status_code == 302, "a remember cookie copied before sign-out still works"


def test_remember_cookie_alone_signs_in_before_sign_out(app, client, make) -> None:
    # The other half of the test above: the remember cookie does work while it is valid.
    user = make.user(Role.APPRENTICE)
    sign_in(client, user, remember=True)
    other = app.test_client()
    other.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert other.get("/").status_code == 200


def test_cookie_flags(client, make) -> None:
    user = make.user(Role.APPRENTICE)
    response = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_invitation_sets_password_once(client, make) -> None:
    user = make.user(Role.APPRENTICE, password_hash=None)
    token = services.issue_invitation(None, user, ttl_hours=1)
    page = client.get(f"/invitations/{token}")
    assert user.name in page.get_data(as_text=True)
    response = client.post(
        f"/invitations/{token}",
        data={"password": "a long new password", "confirm": "a long new password"},
    )
    assert response.status_code == 302
    again = client.get(f"/invitations/{token}")
    assert again.status_code == 422
    assert "already been used" in again.get_data(as_text=True)


def test_expired_invitation_is_explained(client, make) -> None:
    user = make.user(Role.APPRENTICE, password_hash=None)
    token = services.issue_invitation(None, user, ttl_hours=1)
    invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == user.id))
    invitation.expires_at = db.utcnow() - dt.timedelta(minutes=1)
    db.session.flush()
    response = client.get(f"/invitations/{token}")
    assert response.status_code == 422
    assert "expired" in response.get_data(as_text=True)


def test_weak_password_is_refused(client, make) -> None:
    user = make.user(Role.APPRENTICE, password_hash=None)
    token = services.issue_invitation(None, user, ttl_hours=1)
    response = client.post(
        f"/invitations/{token}", data={"password": "aaaaaaaaaaaa", "confirm": "aaaaaaaaaaaa"}
    )
    assert response.status_code == 200
    assert "more variety" in response.get_data(as_text=True)


def test_forms_need_a_csrf_token(app, client, make) -> None:
    user = make.user(Role.APPRENTICE)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)


@pytest.fixture
def redis_url() -> str:
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        import os

        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI: {error}")
        pytest.skip(f"Redis not reachable: {error}")
    return url


def test_sign_in_rate_limit_is_shared_across_processes(redis_url, tmp_path) -> None:
    """Two app instances (two gunicorn workers, say) share one Redis counter."""
    from showcase import create_app, migrate
    from showcase.db import get_database

    config = dict(
        DATABASE_URL=f"sqlite:///{tmp_path / 'rl.sqlite'}",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis_url,
        SIGN_IN_RATE_LIMIT="3 per minute",
    )
    apps = [create_app("testing", **config) for _ in range(2)]
    migrate.upgrade(get_database(apps[0]).engine)
    workers = [a.test_client() for a in apps]
    statuses = []
    for attempt in range(4):
        response = workers[attempt % 2].post(
            "/sign-in", data={"email": "x@example.test", "password": "nope"}
        )
        statuses.append(response.status_code)
    # Three refusals of the password, then the limiter trips, whichever worker is asked.
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3] == 429
