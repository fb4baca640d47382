"""The access matrix: role × relationship × endpoint → status, through pages and the API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts import services
from showcase.accounts.models import OrganisationKind, Role
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships

# who → expected status for GET of one apprenticeship (page and API)
CASES = {
    "the apprentice": 200,
    "another apprentice": 404,
    "their line manager": 200,
    "another line manager at the same employer": 404,
    "their tutor": 200,
    "another tutor at the same provider": 404,
    "an assessor": 404,
    "a quality assurer": 404,
    "an external quality assurer": 404,
    "the employer's admin": 200,
    "the provider's admin": 200,
    "another employer's admin": 404,
    "a platform admin": 200,
}


def _external_quality_assurer(make):
    """An outside person (no organisation) with no grant on anything here."""
    person = make.user(Role.ADMIN, None)  # the factory's one role without an organisation
    person.role = Role.EXTERNAL_QUALITY_ASSURER
    db.session.flush()
    return person


@pytest.fixture
def world(make):
    item = make.apprenticeship()
    people = {
        "the apprentice": item.apprentice,
        "another apprentice": make.user(Role.APPRENTICE, item.employer),
        "their line manager": item.line_manager,
        "another line manager at the same employer": make.user(
            Role.EMPLOYER_CONTACT, item.employer
        ),
        "their tutor": item.tutor,
        "another tutor at the same provider": make.user(Role.TUTOR, item.provider),
        "an assessor": make.user(Role.ASSESSOR),
        "a quality assurer": make.user(Role.QUALITY_ASSURER),
        "an external quality assurer": _external_quality_assurer(make),
        "the employer's admin": make.user(Role.ADMIN, item.employer),
        "the provider's admin": make.user(Role.ADMIN, item.provider),
        "another employer's admin": make.user(
            Role.ADMIN, make.organisation(OrganisationKind.EMPLOYER)
        ),
        "a platform admin": make.user(Role.ADMIN, None),
    }
    return item, people


@pytest.mark.parametrize(("who", "expected"), CASES.items())
def test_apprenticeship_page(world, login, who: str, expected: int) -> None:
    item, people = world
    client = login(people[who])
    assert client.get(f"/apprenticeships/{item.id}").status_code == expected


@pytest.mark.parametrize(("who", "expected"), CASES.items())
def test_apprenticeship_api(world, client, who: str, expected: int) -> None:
    item, people = world
    _token, plain = services.create_api_token(people[who], name="t")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get(f"/api/v1/apprenticeships/{item.id}", headers=headers).status_code == expected
    response = client.get("/api/v1/apprenticeships", headers=headers)
    listed = response.get_json()["items"]
    assert (item.id in [a["id"] for a in listed]) == (expected == 200)


@pytest.mark.parametrize("who", CASES)
def test_sql_clause_and_predicate_agree(world, who: str) -> None:
    item, people = world
    visible = db.session.scalars(
        select(Apprenticeship.id).where(visible_apprenticeships(people[who]))
    ).all()
    assert (item.id in visible) == (CASES[who] == 200)


def test_admin_pages_are_for_admins(world, login) -> None:
    _item, people = world
    client = login(people["the apprentice"])
    assert client.get("/admin/organisations").status_code == 403
    assert client.get("/admin/apprenticeships/new").status_code == 403


def test_org_admin_sees_only_their_organisation(world, login) -> None:
    item, people = world
    client = login(people["another employer's admin"])
    assert client.get(f"/admin/organisations/{item.employer_id}").status_code == 404
    own = people["another employer's admin"].organisation_id
    assert client.get(f"/admin/organisations/{own}").status_code == 200


def test_org_admin_adds_a_person_with_an_invitation(world, login) -> None:
    item, people = world
    client = login(people["the employer's admin"])
    response = client.post(
        f"/admin/organisations/{item.employer_id}",
        data={
            "name": "New Starter",
            "email": "new.starter@example.test",
            "role": "apprentice",
            "organisation_id": item.employer_id,
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:300]
    assert "Invitation sent to new.starter@example.test" in body
    assert "/invitations/" not in body  # the link goes by email, never through the admin


def test_role_must_fit_the_organisation(world, login) -> None:
    item, people = world
    client = login(people["the employer's admin"])
    response = client.post(
        f"/admin/organisations/{item.employer_id}",
        data={
            "name": "Wrong Role",
            "email": "wrong@example.test",
            "role": "tutor",
            "organisation_id": item.employer_id,
        },
    )
    assert "belongs to a training provider" in response.get_data(as_text=True)


def test_only_platform_admins_create_organisations(world, login) -> None:
    _item, people = world
    client = login(people["the employer's admin"])
    client.post("/admin/organisations", data={"name": "Sneaky Ltd", "kind": "employer"})
    from showcase.accounts.models import Organisation

    assert db.session.scalar(select(Organisation).where(Organisation.name == "Sneaky Ltd")) is None


# ---- changing an apprenticeship's parties: who may hand the tutor / line manager role over --

#: who → status for handing over the tutor role (page POST answers 302 on success, API 201).
TUTOR_CHANGE = {
    "the apprentice": 403,
    "another apprentice": 404,
    "their line manager": 403,
    "another line manager at the same employer": 404,
    "their tutor": 403,
    "another tutor at the same provider": 404,
    "an assessor": 404,
    "a quality assurer": 404,
    "an external quality assurer": 404,
    "the employer's admin": 403,
    "the provider's admin": 200,
    "another employer's admin": 404,
    "a platform admin": 200,
}
#: The line manager role: the employer's admins instead of the provider's.
LINE_MANAGER_CHANGE = {
    **TUTOR_CHANGE,
    "the employer's admin": 200,
    "the provider's admin": 403,
}


@pytest.mark.parametrize("role", ["tutor", "line_manager"])
@pytest.mark.parametrize("who", CASES)
def test_changing_a_party(world, make, client, login, who: str, role: str) -> None:
    from showcase.accounts.models import User

    item, people = world
    expected = (TUTOR_CHANGE if role == "tutor" else LINE_MANAGER_CHANGE)[who]
    if role == "tutor":
        candidates = [make.user(Role.TUTOR, item.provider) for _ in range(2)]
    else:
        candidates = [make.user(Role.EMPLOYER_CONTACT, item.employer) for _ in range(2)]
    _token, plain = services.create_api_token(people[who], name="t")
    api = client.post(
        f"/api/v1/apprenticeships/{item.id}/parties",
        json={"role": role, "user_id": candidates[0].id},
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert api.status_code == (201 if expected == 200 else expected), api.get_json()
    page = login(people[who]).post(
        f"/admin/apprenticeships/{item.id}/parties", data={f"{role}-user_id": candidates[1].id}
    )
    assert page.status_code == (302 if expected == 200 else expected)
    db.session.expire_all()
    current = getattr(db.session.get(Apprenticeship, item.id), f"{role}_id")
    assert (current == candidates[1].id) == (expected == 200)
    assert db.session.get(User, current) is not None
