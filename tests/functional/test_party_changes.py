"""Changing an apprenticeship's tutor or line manager (page, API, CLI) and moving people
between organisations: each kept as a history and audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from showcase import db
from showcase.accounts import services as accounts
from showcase.accounts.memberships import history_of
from showcase.accounts.models import OrganisationKind, OrganisationMembership, Role, User
from showcase.audit.models import AuditEntry
from showcase.portfolios import services as portfolios
from showcase.portfolios.models import Apprenticeship, ApprenticeshipParty, PartyRole
from showcase.standards.loaders import get_standard_or_404
from tests.conftest import built_app
from tests.factories import Factory
from tests.races import race


def parties(item, role: PartyRole) -> list[ApprenticeshipParty]:
    return list(
        db.session.scalars(
            select(ApprenticeshipParty)
            .where(
                ApprenticeshipParty.apprenticeship_id == item.id, ApprenticeshipParty.role == role
            )
            .order_by(ApprenticeshipParty.id)
        )
    )


def audited(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_enrolment_and_new_people_open_their_history(make) -> None:
    employer = make.organisation(OrganisationKind.EMPLOYER)
    provider = make.organisation(OrganisationKind.TRAINING_PROVIDER)

    def person(email: str, role: Role, org):
        return accounts.create_user(None, email=email, name=email, role=role, organisation=org)

    apprentice = person("a@example.test", Role.APPRENTICE, employer)
    manager = person("m@example.test", Role.EMPLOYER_CONTACT, employer)
    tutor = person("t@example.test", Role.TUTOR, provider)
    start = dt.date.today() - dt.timedelta(days=30)
    item = portfolios.create_apprenticeship(
        None,
        apprentice=apprentice,
        standard=get_standard_or_404("ST0072"),
        start_date=start,
        line_manager=manager,
        tutor=tutor,
    )
    [tutor_row] = parties(item, PartyRole.TUTOR)
    assert (tutor_row.user_id, tutor_row.started_at.date(), tutor_row.ended_at) == (
        tutor.id,
        start,
        None,
    )
    assert [r.user_id for r in parties(item, PartyRole.LINE_MANAGER)] == [manager.id]
    [membership] = history_of(tutor)
    assert (membership.organisation_id, membership.role, membership.ended_at) == (
        provider.id,
        Role.TUTOR,
        None,
    )
    assert (
        history_of(
            accounts.create_user(
                None, email="p@example.test", name="P", role=Role.ADMIN, organisation=None
            )
        )
        == []
    )


def test_provider_admin_changes_the_tutor_on_the_page(make, login) -> None:
    item = make.apprenticeship()
    old, new = item.tutor, make.user(Role.TUTOR, item.provider)
    client = login(make.user(Role.ADMIN, item.provider))
    page = client.get(f"/admin/apprenticeships/{item.id}/parties")
    assert page.status_code == 200
    assert new.name in page.get_data(as_text=True)

    response = client.post(
        f"/admin/apprenticeships/{item.id}/parties",
        data={"tutor-user_id": new.id},
        follow_redirects=True,
    )

    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:500]
    assert f"{new.name} is now the tutor" in body
    db.session.expire_all()
    assert db.session.get(type(item), item.id).tutor_id == new.id
    rows = parties(item, PartyRole.TUTOR)
    assert [(r.user_id, r.ended_at is None) for r in rows] == [(old.id, False), (new.id, True)]
    assert rows[0].ended_at == rows[1].started_at
    [entry] = audited("apprenticeship.party_changed")
    assert entry.details == {"role": "tutor", "from_user_id": old.id, "to_user_id": new.id}
    assert entry.apprenticeship_id == item.id
    # The former tutor no longer sees the apprenticeship; the page lists them as former.
    client.post("/sign-out")
    assert login(old).get(f"/apprenticeships/{item.id}").status_code == 404


def test_wrong_people_are_refused_with_the_reason(make, login) -> None:
    item = make.apprenticeship()
    admin = make.user(Role.ADMIN, item.provider)
    client = login(admin)
    make.user(Role.TUTOR, item.provider)  # someone to choose, so the form is shown
    elsewhere = make.user(Role.TUTOR)  # another provider's tutor
    response = client.post(
        f"/admin/apprenticeships/{item.id}/parties",
        data={"tutor-user_id": elsewhere.id},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Not a valid choice" in body, body
    response = client.post(
        f"/api/v1/apprenticeships/{item.id}/parties",
        json={"role": "tutor", "user_id": elsewhere.id},
        headers={"Authorization": f"Bearer {accounts.create_api_token(admin, name='t')[1]}"},
    )
    assert response.status_code == 422
    message = response.get_json()["error"]["message"]
    assert message == "Choose an active tutor of the apprenticeship's training provider."
    assert elsewhere.name not in message
    assert db.session.get(type(item), item.id).tutor_id != elsewhere.id


def test_employer_admin_changes_the_line_manager_over_the_api(make, client) -> None:
    item = make.apprenticeship()
    old, new = item.line_manager, make.user(Role.EMPLOYER_CONTACT, item.employer)
    admin = make.user(Role.ADMIN, item.employer)
    _token, plain = accounts.create_api_token(admin, name="t")
    headers = {"Authorization": f"Bearer {plain}"}

    response = client.post(
        f"/api/v1/apprenticeships/{item.id}/parties",
        json={"role": "line_manager", "user_id": new.id},
        headers=headers,
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["person"]["id"] == new.id
    history = client.get(f"/api/v1/apprenticeships/{item.id}/parties", headers=headers).get_json()
    managers = [p for p in history["items"] if p["role"] == "line_manager"]
    assert [(p["person"]["id"], p["ended_at"] is None) for p in managers] == [
        (old.id, False),
        (new.id, True),
    ]
    # The employer's admin may not change the provider's tutor.
    refused = client.post(
        f"/api/v1/apprenticeships/{item.id}/parties",
        json={"role": "tutor", "user_id": make.user(Role.TUTOR, item.provider).id},
        headers=headers,
    )
    assert refused.status_code == 403


def test_cli_changes_a_party_and_moves_a_person(app, make) -> None:
    item = make.apprenticeship()
    old = item.tutor
    new = make.user(Role.TUTOR, item.provider)
    ao = make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION)
    runner = app.test_cli_runner()

    refused = runner.invoke(
        args=["users", "move", old.email, "--org", str(ao.id), "--role", "assessor"]
    )
    assert refused.exit_code == 1
    assert "still the tutor or line manager of 1 apprenticeship;" in refused.output

    changed = runner.invoke(args=["apprenticeships", "change", str(item.id), "--tutor", new.email])
    assert changed.exit_code == 0, changed.output
    assert f"{new.name} is now the tutor" in changed.output
    listed = runner.invoke(args=["apprenticeships", "parties", str(item.id)])
    assert f"tutor\t{old.name}\tfrom " in listed.output

    wrong_role = runner.invoke(args=["users", "move", old.email, "--org", str(ao.id)])
    assert wrong_role.exit_code == 1
    assert len(wrong_role.output.strip().splitlines()) == 1
    assert "give their new role" in wrong_role.output

    moved = runner.invoke(
        args=["users", "move", old.email, "--org", str(ao.id), "--role", "assessor"]
    )
    assert moved.exit_code == 0, moved.output
    assert f"{old.email} moved to {ao.name} as Independent assessor" in moved.output
    db.session.expire_all()
    history = db.session.scalars(
        select(OrganisationMembership)
        .where(OrganisationMembership.user_id == old.id)
        .order_by(OrganisationMembership.id)
    ).all()
    assert [(m.organisation_id, m.role, m.ended_at is None) for m in history] == [
        (item.provider_id, Role.TUTOR, False),
        (ao.id, Role.ASSESSOR, True),
    ]
    [entry] = audited("user.moved")
    assert entry.details["to_organisation_id"] == ao.id


def test_assessment_organisation_admin_cannot_open_the_enrolment_page(make, login) -> None:
    """It can never enrol anyone, and the page listed every apprentice, line manager and tutor
    of the platform."""
    apprenticeship = make.apprenticeship()
    client = login(
        make.user(Role.ADMIN, make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION))
    )
    response = client.get("/admin/apprenticeships/new")
    assert response.status_code == 403
    assert apprenticeship.apprentice.name not in response.get_data(as_text=True)
    assert client.post("/admin/apprenticeships/new", data={}).status_code == 403


def test_demo_records_the_history(app, session) -> None:
    from showcase.demo import load_demo

    load_demo()
    # A tutor and a line manager for each apprenticeship, and each account (but the platform
    # admin) a member of its organisation: the history starts with the demo.
    apprenticeships = db.session.scalar(select(func.count()).select_from(Apprenticeship))
    assert apprenticeships >= 3
    parties = db.session.scalar(select(func.count()).select_from(ApprenticeshipParty))
    assert parties == 2 * apprenticeships
    in_organisations = db.session.scalar(
        select(func.count()).select_from(User).where(User.organisation_id.is_not(None))
    )
    members = db.session.scalar(select(func.count()).select_from(OrganisationMembership))
    assert members == in_organisations


@pytest.fixture(scope="module")
def committing_app(database_kind: str, tmp_path_factory: pytest.TempPathFactory):
    if database_kind != "postgresql":
        pytest.skip("SQLite has one writer at a time; this race is PostgreSQL's")
    with built_app(database_kind, tmp_path_factory.mktemp("party-race"), "_party_race") as app:
        yield app


def test_two_tutor_changes_at_once_chain_one_after_the_other(committing_app) -> None:
    """Both admins' changes land, one after the other: the second waits for the apprenticeship's
    row lock and ends the first's new row rather than the row both read before."""
    with committing_app.app_context():
        make = Factory()
        item = make.apprenticeship()
        first, second = (make.user(Role.TUTOR, item.provider) for _ in range(2))
        ids = (item.id, item.tutor_id, first.id, second.id)
        db.session.commit()

    def change(user_id: int):
        return lambda: portfolios.change_party(
            None,
            db.session.get(Apprenticeship, ids[0]),
            PartyRole.TUTOR,
            db.session.get(User, user_id),
        )

    errors = race(committing_app, change(ids[2]), change(ids[3]))
    assert not errors, errors
    with committing_app.app_context():
        item = db.session.get(Apprenticeship, ids[0])
        rows = parties(item, PartyRole.TUTOR)
        assert [(r.user_id, r.ended_at is None) for r in rows] == [
            (ids[1], False),
            (ids[2], False),
            (ids[3], True),
        ]
        assert item.tutor_id == ids[3]


def test_only_platform_admins_move_people_between_organisations(make) -> None:
    from showcase.errors import Forbidden
    from showcase.portfolios.moves import move_user

    employer = make.organisation(OrganisationKind.EMPLOYER)
    ao = make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION)
    person = make.user(Role.EMPLOYER_CONTACT, employer)
    with pytest.raises(Forbidden):
        move_user(make.user(Role.ADMIN, employer), person, ao, role=Role.ASSESSOR)
    with pytest.raises(Forbidden):
        move_user(make.user(Role.ADMIN, ao), person, ao, role=Role.ASSESSOR)
    move_user(make.user(Role.ADMIN, None), person, ao, role=Role.ASSESSOR)
    assert (person.organisation_id, person.role) == (ao.id, Role.ASSESSOR)
    assert [m.organisation_id for m in history_of(person)] == [employer.id, ao.id]
