"""Configuration, migrations, error pages and the demo."""

from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import make_url

from showcase import ConfigurationError, create_app, db, migrate
from showcase.accounts.models import User
from showcase.db import get_database


def test_production_refuses_to_start_without_secret_and_database(monkeypatch) -> None:
    monkeypatch.delenv("SHOWCASE_SECRET_KEY", raising=False)
    monkeypatch.delenv("SHOWCASE_DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="SHOWCASE_SECRET_KEY and SHOWCASE_DATABASE_URL"):
        create_app("production")


def test_environment_variables_override_config(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOWCASE_MAX_UPLOAD_BYTES", "1234")
    monkeypatch.setenv("SHOWCASE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    app = create_app("testing")
    assert app.config["MAX_UPLOAD_BYTES"] == 1234


def test_production_sets_secure_cookies(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SHOWCASE_SECRET_KEY", "x" * 32)
    monkeypatch.setenv("SHOWCASE_AUDIT_CHECKPOINT_KEY", "y" * 32)
    monkeypatch.setenv("SHOWCASE_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_models_and_migrations_agree(app) -> None:
    """`alembic check`: autogenerate finds nothing to add, on this database."""
    migrate.check(get_database(app).engine)


def test_migrations_downgrade_to_base_and_back(database_kind, tmp_path) -> None:
    """Every migration has a working downgrade: up, down to nothing, up again."""
    if database_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'roundtrip.sqlite'}"
    else:
        from tests.conftest import POSTGRES_URL, recreate_postgres_database

        url = make_url(POSTGRES_URL)
        url = url.set(database=f"{url.database}_roundtrip").render_as_string(hide_password=False)
        recreate_postgres_database(url)
    engine = db.build_engine(url)
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "base")
        assert inspect(engine).get_table_names() == ["alembic_version"]
        migrate.upgrade(engine)
        assert "apprenticeships" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        if database_kind != "sqlite":
            from tests.conftest import drop_postgres_database

            drop_postgres_database(url)


def test_unknown_page_explains(client) -> None:
    response = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert "Check the link" in response.get_data(as_text=True)


def test_unexpected_error_rolls_back_and_explains(tmp_path) -> None:
    """The 500 handler rolls back before anything else in the request uses the session.

    Checked from an ``after_request`` hook, which runs after the handler and still shares the
    request's session: whatever runs there (or in the error page) must not see, or commit, the
    failed request's writes. Counting rows after the request would not do: closing the
    session at teardown discards them with or without the handler's rollback.
    """
    from showcase.accounts.models import Role

    app = create_app("testing", DATABASE_URL=f"sqlite:///{tmp_path / 'boom.sqlite'}")
    migrate.upgrade(get_database(app).engine)
    seen_after: list[int] = []

    @app.get("/_boom")
    def _boom() -> str:
        db.session.add(User(email="ghost@example.test", name="Ghost", role=Role.TUTOR))
        db.session.flush()
        raise RuntimeError("boom")

    @app.after_request
    def _count_users(response):
        seen_after.append(db.session.scalar(select(func.count()).select_from(User)))
        return response

    response = app.test_client().get("/_boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert seen_after == [0]
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
    assert count == 0


def test_demo_loads_and_lists_sign_ins(app, session) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "amira@northgate.test" in result.output and "showcase-demo" in result.output
    again = app.test_cli_runner().invoke(args=["demo", "load"])
    assert "already loaded" in again.output


def test_security_headers(client) -> None:
    response = client.get("/sign-in")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_use_no_external_assets(client) -> None:
    body = client.get("/sign-in").get_data(as_text=True)
    assert "http://" not in body and "https://" not in body
