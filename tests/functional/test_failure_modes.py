"""When a dependency is down: the database, the rate-limit store or file storage.

Each answers 503 with Retry-After and an honest message, error pages render without the
database, failures are logged once, and /readyz says which dependency is missing while
/healthz (liveness) stays ok. The signed-in page case is also run through gunicorn in
``tests/wire/test_request_limits.py``.
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from showcase import create_app, db, migrate
from showcase.accounts.models import Role
from showcase.db import get_database
from showcase.extensions import limiter
from tests.factories import PASSWORD, Factory

#: Nothing listens on port 1: every connection is refused at once.
DEAD_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/showcase"
DEAD_REDIS = "redis://127.0.0.1:1/0"
TOKEN = {"Authorization": "Bearer shw_anything"}


@pytest.fixture
def isolated_limiter(monkeypatch):
    """The Limiter is one module-level object whose init_app keeps the last app's store;
    put back the session-wide app's after a test that builds its own app."""
    for name in ("enabled", "_storage", "_limiter", "_storage_dead"):
        monkeypatch.setattr(limiter, name, getattr(limiter, name))
    monkeypatch.setattr(limiter, "_storage_options", dict(limiter._storage_options))


@pytest.fixture
def dead_db_app(tmp_path, isolated_limiter) -> Flask:
    # Session protection is off only so that a forged cookie needs no client fingerprint; the
    # fingerprint check never touches the database either way.
    return create_app(
        "testing",
        DATABASE_URL=DEAD_POSTGRES,
        UPLOAD_ROOT=str(tmp_path / "uploads"),
        SESSION_PROTECTION=None,
    )


def signed_in(app: Flask):
    """A client holding a session cookie for user 1, as if signed in before the outage."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:rotating-token"
        session["_fresh"] = True
    return client


def sqlite_app(tmp_path, **config) -> Flask:
    app = create_app(
        "testing",
        DATABASE_URL=f"sqlite:///{tmp_path / 'failure.sqlite'}",
        UPLOAD_ROOT=str(tmp_path / "uploads"),
        **config,
    )
    migrate.upgrade(get_database(app).engine)
    return app


# -- the database ---------------------------------------------------------------------------


def test_database_down_sign_in_is_503_with_retry_after(dead_db_app) -> None:
    response = dead_db_app.test_client().post(
        "/sign-in",
        data={"email": "amira@northgate.test", "password": PASSWORD},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert "cannot reach its database" in page
    assert "lost" not in page


def test_database_down_api_is_503_and_does_not_claim_the_upload_was_kept(dead_db_app) -> None:
    client = dead_db_app.test_client()
    response = client.post(
        "/api/v1/apprenticeships/1/evidence",
        data=b"%PDF-1.4 not saved",
        headers={"Authorization": "Bearer shw_anything", "X-Filename": "a.pdf"},
    )
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert (error["status"], error["code"]) == (503, "database_unavailable")
    assert "not have been saved" in error["message"]
    assert "lost" not in error["message"]


def test_database_down_signed_in_page_renders_the_error_page(dead_db_app) -> None:
    response = signed_in(dead_db_app).get("/apprenticeships/1", headers={"Accept": "text/html"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "<title>" in page and "cannot reach its database" in page
    assert "Sign out" not in page  # the header's account part needs the database


def test_database_down_other_errors_still_render(dead_db_app) -> None:
    response = signed_in(dead_db_app).get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "Check the link" in response.get_data(as_text=True)


def test_database_down_is_logged_once(dead_db_app, caplog) -> None:
    client = dead_db_app.test_client()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert (
                client.get("/api/v1/apprenticeships/1/evidence", headers=TOKEN).status_code == 503
            )
    outage = [r for r in caplog.records if "database" in r.getMessage().lower()]
    assert len(outage) == 1, [r.getMessage() for r in caplog.records]
    assert outage[0].exc_info is None or outage[0].levelno >= logging.WARNING


def test_unexpected_errors_do_not_claim_nothing_was_lost(tmp_path, isolated_limiter) -> None:
    app = sqlite_app(tmp_path)

    @app.post("/_boom")
    def _boom() -> str:
        raise RuntimeError("boom")

    response = app.test_client().post("/_boom", headers={"Accept": "text/html"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Nothing you entered was lost" not in page
    assert "may not have been saved" in page


# -- the rate-limit store ----------------------------------------------------------------------


def test_sign_in_with_the_rate_limit_store_down_is_503_and_logged_once(
    tmp_path, isolated_limiter, caplog
) -> None:
    app = sqlite_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=DEAD_REDIS)
    with app.app_context():
        email = Factory().user(Role.APPRENTICE).email
        db.session.commit()
    client = app.test_client()
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            response = client.post(
                "/sign-in",
                data={"email": email, "password": PASSWORD},
                headers={"Accept": "text/html"},
            )
            assert response.status_code == 503  # fails closed, but not as a 500
            assert int(response.headers["Retry-After"]) > 0
            assert "Sign-in is briefly unavailable" in response.get_data(as_text=True)
    outage = [r for r in caplog.records if "rate-limit store" in r.getMessage().lower()]
    assert len(outage) == 1, [r.getMessage() for r in caplog.records]
    # The sign-in page itself (GET, not limited) still shows.
    assert client.get("/sign-in").status_code == 200


# -- readiness and liveness ------------------------------------------------------------------


def test_readyz_is_ready_when_everything_answers(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "storage", "rate_limit_store"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_with_the_database_down(dead_db_app) -> None:
    client = dead_db_app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["storage"]["ok"] is True
    assert client.get("/healthz").status_code == 200  # liveness: the process is fine


def test_readyz_with_the_rate_limit_store_down(tmp_path, isolated_limiter) -> None:
    app = sqlite_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=DEAD_REDIS)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["rate_limit_store"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_readyz_pings_a_live_redis(tmp_path, isolated_limiter) -> None:
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/13"  # a database no other module uses (see scripts/test.sh)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable: {error}")
    app = sqlite_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url)
    response = app.test_client().get("/readyz")
    assert response.status_code == 200, response.get_json()


class _UnmountedStorage:
    def exists(self, key: str) -> bool:
        raise OSError("Transport endpoint is not connected")


def test_readyz_with_storage_down(app, client, monkeypatch) -> None:
    monkeypatch.setitem(app.extensions, "showcase.storage", _UnmountedStorage())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"]["ok"] is False
