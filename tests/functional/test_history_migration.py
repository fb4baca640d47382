"""The history migration backfills parties and memberships from the rows that exist."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url

from showcase import db, migrate
from showcase.db import UTCDateTime

BEFORE = "d7123f8a3561"  # the revision before the history tables
HISTORY = "b3f1c2a4d501"
CREATED = dt.datetime(2025, 6, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def engine(database_kind, tmp_path):
    if database_kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'backfill.sqlite'}"
    else:
        from tests.conftest import POSTGRES_URL, recreate_postgres_database

        url = make_url(POSTGRES_URL)
        url = url.set(database=f"{url.database}_backfill").render_as_string(hide_password=False)
        recreate_postgres_database(url)
    engine = db.build_engine(url)
    yield engine
    engine.dispose()
    if database_kind != "sqlite":
        from tests.conftest import drop_postgres_database

        drop_postgres_database(url)


def _insert(conn, sql: str, **values) -> int:
    statement = text(sql + " RETURNING id").bindparams(bindparam("at", type_=UTCDateTime()))
    return conn.execute(statement, {"at": CREATED, **values}).scalar_one()


def test_upgrade_backfills_parties_and_memberships(engine) -> None:
    migrate.upgrade(engine, BEFORE)
    with engine.begin() as conn:

        def org(kind: str) -> int:
            return _insert(
                conn,
                "INSERT INTO organisations (name, kind, created_at) VALUES (:n, :k, :at)",
                n=kind,
                k=kind,
            )

        def user(email: str, role: str, organisation_id: int | None) -> int:
            return _insert(
                conn,
                "INSERT INTO users (email, name, role, organisation_id, session_token, "
                "is_active, created_at) VALUES (:e, :e, :r, :o, :e, :t, :at)",
                e=email,
                r=role,
                o=organisation_id,
                t=True,
            )

        employer, provider = org("employer"), org("training_provider")
        apprentice = user("a@x.test", "apprentice", employer)
        manager = user("m@x.test", "employer_contact", employer)
        tutor = user("t@x.test", "tutor", provider)
        user("p@x.test", "admin", None)
        standard = _insert(
            conn,
            "INSERT INTO standards (code, version, title, jurisdiction, scheme, document, "
            "file_sha256, imported_at) VALUES ('S', 'V', 'T', 'J', 'X', '{}', 'h', :at)",
        )
        item = _insert(
            conn,
            "INSERT INTO apprenticeships (apprentice_id, standard_id, start_date, employer_id, "
            "line_manager_id, provider_id, tutor_id, created_at) "
            "VALUES (:a, :s, :d, :e, :m, :p, :t, :at)",
            a=apprentice,
            s=standard,
            d=dt.date(2025, 9, 1),
            e=employer,
            m=manager,
            p=provider,
            t=tutor,
        )

    migrate.upgrade(engine, HISTORY)

    with engine.connect() as conn:
        parties = conn.execute(
            text(
                "SELECT role, user_id, started_at, ended_at FROM apprenticeship_parties "
                "WHERE apprenticeship_id = :i ORDER BY role"
            ).columns(started_at=UTCDateTime()),
            {"i": item},
        ).all()
        members = conn.execute(
            text(
                "SELECT user_id, organisation_id, role, started_at, ended_at "
                "FROM organisation_memberships ORDER BY user_id"
            ).columns(started_at=UTCDateTime())
        ).all()
    start = dt.datetime(2025, 9, 1, tzinfo=dt.UTC)
    assert [tuple(p) for p in parties] == [
        ("line_manager", manager, start, None),
        ("tutor", tutor, start, None),
    ]
    # Everyone with an organisation, since their account was created; not the platform admin.
    assert [tuple(m) for m in members] == [
        (apprentice, employer, "apprentice", CREATED, None),
        (manager, employer, "employer_contact", CREATED, None),
        (tutor, provider, "tutor", CREATED, None),
    ]
    migrate.downgrade(engine, BEFORE)
