"""Test harness: every database test runs on SQLite and on PostgreSQL, each in a transaction
that is rolled back afterwards (SQLAlchemy's "join a session into an external transaction").

PostgreSQL is found at SHOWCASE_TEST_POSTGRES_URL (default 127.0.0.1:5432, user postgres). When it
cannot be reached the PostgreSQL half is skipped, except under CI=true, where that fails the run.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from showcase import create_app, db, migrate
from showcase.accounts.models import User
from showcase.db import get_database
from showcase.extensions import limiter
from showcase.standards import services as standards
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from showcase.submissions.models import Submission
from tests.factories import PASSWORD, Factory, build_journey, prepare

_BASE_POSTGRES_URL = make_url(
    os.environ.get(
        "SHOWCASE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/showcase_test"
    )
)
#: Each test run gets its own database (suffixed with the process id), so runs on one machine
#: never drop each other's; it is dropped again when the run ends.
POSTGRES_URL = _BASE_POSTGRES_URL.set(
    database=f"{_BASE_POSTGRES_URL.database}_{os.getpid()}"
).render_as_string(hide_password=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default="sqlite,postgresql",
        help="Comma-separated databases to run database tests on (sqlite, postgresql).",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"databases: {config.getoption('--db')}; PostgreSQL URL: {POSTGRES_URL}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_kind" in metafunc.fixturenames:
        kinds = [k.strip() for k in metafunc.config.getoption("--db").split(",") if k.strip()]
        metafunc.parametrize("database_kind", kinds, scope="session")


def _admin_execute(url: str, *statements: str) -> None:
    import psycopg

    admin = make_url(url).set(drivername="postgresql", database="postgres")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)


def recreate_postgres_database(url: str) -> None:
    """Drop and create the test database, connecting through the server's `postgres` db."""
    name = make_url(url).database
    _admin_execute(
        url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )


def drop_postgres_database(url: str) -> None:
    _admin_execute(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def database_url(kind: str, tmp_dir: os.PathLike, suffix: str = "") -> str:
    """A new, empty database of ``kind``; apps beside the main one pass their own ``suffix``
    (recreating the main PostgreSQL database would cut off the session-wide app)."""
    if kind == "sqlite":
        return f"sqlite:///{os.path.join(tmp_dir, f'showcase-test{suffix}.sqlite')}"
    if kind == "postgresql":
        url = make_url(POSTGRES_URL)
        url = url.set(database=f"{url.database}{suffix}").render_as_string(hide_password=False)
        try:
            recreate_postgres_database(url)
        except Exception as error:
            message = f"PostgreSQL is not reachable at {url}: {error}"
            if os.environ.get("CI") == "true":
                pytest.fail(message + " (CI=true: PostgreSQL is required)")
            pytest.skip(message)
        return url
    raise pytest.UsageError(f"unknown database {kind!r}")


@contextlib.contextmanager
def built_app(
    database_kind: str, tmp: pathlib.Path, suffix: str = "", **config: object
) -> Iterator[Flask]:
    """A testing app on a new database (migrated, standards imported), dropped afterwards.

    Apps beside the session-wide one (S3 storage, committing race tests) pass their own
    ``suffix`` so they never touch its database.
    """
    config.setdefault("UPLOAD_ROOT", str(tmp / "uploads"))
    # Flask-Limiter's switch lives on the one limiter every app in this process shares, and the
    # last app built sets it: put it back afterwards, or an app built with limits on would
    # leave them on for the session-wide app's later tests.
    limits_were_enabled = limiter.enabled
    application = create_app(
        "testing", DATABASE_URL=database_url(database_kind, tmp, suffix), **config
    )
    database = get_database(application)
    migrate.upgrade(database.engine)
    with application.app_context():
        standards.import_bundled()
        db.session.commit()
    try:
        yield application
    finally:
        limiter.enabled = limits_were_enabled
        database.engine.dispose()
        if database_kind == "postgresql":
            drop_postgres_database(database.engine.url.render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def clamd_socket() -> Iterator[str]:
    """A private clamd (tests/scanning.py) for the session; its unix socket path. Skipped when
    clamd is not installed, except under CI=true, where that fails the run."""
    from config import Config
    from tests.scanning import clamd_missing_reason, running_clamd

    reason = clamd_missing_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: clamd is required)")
        pytest.skip(reason)
    with running_clamd(Config.MAX_UPLOAD_BYTES) as sock:
        yield sock


@pytest.fixture(scope="session")
def app(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with built_app(database_kind, tmp_path_factory.mktemp(f"app-{database_kind}")) as application:
        yield application


@pytest.fixture
def session(app: Flask) -> Iterator:
    """An app context whose session (and every request's) runs inside a rolled-back transaction."""
    database = get_database(app)
    connection = database.engine.connect()
    outer = connection.begin()
    database.bind_to(connection)
    try:
        with app.app_context():
            yield db.session
    finally:
        outer.rollback()
        connection.close()
        database.sessionmaker.configure(bind=database.engine)
        _forget_audit_checkpoints(app)


def _forget_audit_checkpoints(app: Flask) -> None:
    """Audit checkpoints describe a chain that has just been rolled back: drop them too, or
    the next test's chain would look truncated against them (the store outlives each test)."""
    from showcase.audit.checkpoints import PREFIX

    with app.app_context():
        storage = get_storage()
        for key in list(storage.keys(PREFIX)):
            storage.delete(key)


@pytest.fixture
def client(app: Flask, session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def count_queries(app: Flask):
    """Count SQL statements executed inside a ``with count_queries() as counter:`` block."""

    @contextlib.contextmanager
    def counter() -> Iterator[list[str]]:
        statements: list[str] = []
        engine = get_database(app).engine

        def _count(conn, cursor, statement, params, context, executemany) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", _count)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", _count)

    return counter


# ---- factories: they flush, never commit (tests/factories.py) ---------------------------


@pytest.fixture
def make(session) -> Factory:
    return Factory()


@pytest.fixture
def journey(make):
    """``build_journey``: an apprentice 13 months in, two items, an assessment organisation."""
    return build_journey(make)


@pytest.fixture
def locked(journey) -> Submission:
    """The journey's showcase, prepared and locked by the apprentice."""
    draft = prepare(journey)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(
            journey[2]["apprentice"], draft, storage=storage, written=written
        )
    return draft


def sign_in(client: FlaskClient, user: User, *, remember: bool = False) -> None:
    """Sign ``user`` in through the real sign-in form."""
    response = client.post(
        "/sign-in",
        data={"email": user.email, "password": PASSWORD, "remember": "y" if remember else ""},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def login(client: FlaskClient):
    def _login(user: User, **kwargs) -> FlaskClient:
        sign_in(client, user, **kwargs)
        return client

    return _login
