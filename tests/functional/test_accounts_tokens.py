"""API tokens expire, record when they were last used (without a write per request), and can be
revoked together with a reset or a "sign out everywhere"."""

from __future__ import annotations

import datetime as dt

from showcase import db
from showcase.accounts import services
from showcase.accounts.models import Role
from tests.conftest import sign_in


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def test_tokens_expire_after_the_configured_days(app, client, make) -> None:
    person = make.user(Role.TUTOR)
    token, plain = services.create_api_token(person, name="script")
    ttl = app.config["API_TOKEN_TTL_DAYS"]
    assert ttl == 90
    assert abs(token.expires_at - (db.utcnow() + dt.timedelta(days=ttl))) < dt.timedelta(minutes=1)
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    token.expires_at = db.utcnow() - dt.timedelta(seconds=1)
    db.session.flush()
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(client, make, count_queries) -> None:
    person = make.user(Role.TUTOR)
    token, plain = services.create_api_token(person, name="script")
    db.session.commit()  # a savepoint in tests: the API request's session sees the token
    assert token.last_used_at is None
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    db.session.refresh(token)
    first = token.last_used_at
    assert first is not None and db.utcnow() - first < dt.timedelta(minutes=1)
    with count_queries() as statements:
        assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    db.session.refresh(token)
    assert token.last_used_at == first
    token.last_used_at = first - dt.timedelta(minutes=5)
    db.session.commit()
    client.get("/api/v1/me", headers=bearer(plain))
    db.session.refresh(token)
    assert token.last_used_at > first


def test_tokens_page_shows_expiry_and_last_use(client, make) -> None:
    person = make.user(Role.TUTOR)
    token, _plain = services.create_api_token(person, name="script")
    token.last_used_at = db.utcnow() - dt.timedelta(days=2)
    db.session.flush()
    sign_in(client, person)
    html = client.get("/account/tokens").get_data(as_text=True)
    assert "Expires" in html and token.expires_at.strftime("%-d %b %Y") in html
    assert "Last used" in html and token.last_used_at.strftime("%-d %b %Y") in html


def test_sign_out_everywhere_revokes_tokens_by_default(app, client, make) -> None:
    person = make.user(Role.TUTOR)
    _token, plain = services.create_api_token(person, name="script")
    other_device = app.test_client()
    sign_in(other_device, person)
    sign_in(client, person)
    page = client.get("/account").get_data(as_text=True)
    assert "Sign out everywhere" in page and 'name="revoke_tokens"' in page
    response = client.post("/account/sign-out-everywhere", data={"revoke_tokens": "y"})
    assert response.status_code == 302
    assert other_device.get("/").status_code == 302
    assert client.get("/").status_code == 302
    assert services.user_for_api_token(plain) is None


def test_sign_out_everywhere_can_keep_tokens(app, client, make) -> None:
    person = make.user(Role.TUTOR)
    _token, plain = services.create_api_token(person, name="script")
    sign_in(client, person)
    # An unticked box is simply absent; a browser still sends the form's CSRF field.
    client.post("/account/sign-out-everywhere", data={"csrf_token": "unchecked"})
    assert client.get("/").status_code == 302
    assert services.user_for_api_token(plain) is person
