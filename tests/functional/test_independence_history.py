"""Independence is checked against the whole history: who was the apprentice's tutor or line
manager, and who belonged to their employer or provider during the apprenticeship."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from showcase import db
from showcase.accounts import memberships
from showcase.accounts.models import OrganisationMembership, Role
from showcase.assessment.models import Assessment
from showcase.audit.models import AuditEntry
from showcase.portfolios import services as portfolios
from showcase.portfolios.models import PartyRole
from showcase.portfolios.moves import move_user
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from tests.factories import api_headers, build_journey, prepare


@pytest.fixture
def journey(make):
    return build_journey(make)


@pytest.fixture
def locked(journey):
    draft = prepare(journey)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(
            journey[2]["apprentice"], draft, storage=storage, written=written
        )
    return draft


def assign_over_api(client, journey, locked, assessor):
    _item, _ao, people, _items = journey
    return client.post(
        f"/api/v1/submissions/{locked.id}/assessment",
        json={"assessor_id": assessor.id},
        headers=api_headers(people["ao_admin"]),
    )


def test_former_tutor_moved_to_the_assessment_organisation_is_refused(
    client, make, journey, locked
) -> None:
    """The reported case: change the tutor, move the old tutor to the assessment organisation
    as an assessor, assign them: refused, naming the rule and the dates."""
    item, ao, _people, _items = journey
    old_tutor = item.tutor
    provider_admin = make.user(Role.ADMIN, item.provider)
    portfolios.change_party(
        provider_admin, item, PartyRole.TUTOR, make.user(Role.TUTOR, item.provider)
    )
    move_user(None, old_tutor, ao, role=Role.ASSESSOR)

    response = assign_over_api(client, journey, locked, old_tutor)

    assert response.status_code == 422, response.get_json()
    message = response.get_json()["error"]["message"]
    today = dt.date.today().isoformat()
    assert (
        f"{old_tutor.name} was {item.apprentice.name}'s tutor "
        f"from {item.start_date.isoformat()} to {today}"
    ) in message
    assert f"worked for {item.provider.name}, the apprentice's training provider" in message
    assert "no_direct_relationship" in message, message
    assert (
        db.session.scalar(select(Assessment).where(Assessment.submission_id == locked.id)) is None
    )


def test_former_line_manager_is_refused(client, make, journey, locked) -> None:
    item, ao, _people, _items = journey
    old_manager = item.line_manager
    portfolios.change_party(
        None, item, PartyRole.LINE_MANAGER, make.user(Role.EMPLOYER_CONTACT, item.employer)
    )
    move_user(None, old_manager, ao, role=Role.ASSESSOR)

    response = assign_over_api(client, journey, locked, old_manager)

    assert response.status_code == 422
    message = response.get_json()["error"]["message"]
    assert f"was {item.apprentice.name}'s line manager from" in message
    assert f"worked for {item.employer.name}, the apprentice's employer" in message


def test_anyone_at_the_employer_during_the_apprenticeship_is_refused(
    client, make, journey, locked
) -> None:
    """Never a party, but a colleague at the employer while the apprenticeship ran."""
    item, ao, _people, _items = journey
    colleague = make.user(Role.ADMIN, item.employer)
    memberships.open_membership(colleague, item.employer, at=db.utcnow() - dt.timedelta(days=30))
    move_user(None, colleague, ao, role=Role.ASSESSOR)

    response = assign_over_api(client, journey, locked, colleague)

    assert response.status_code == 422
    message = response.get_json()["error"]["message"]
    started = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    assert (
        f"{colleague.name} worked for {item.employer.name}, the apprentice's employer, "
        f"from {started} to {dt.date.today().isoformat()}"
    ) in message


def test_leaving_the_employer_before_the_apprenticeship_does_not_count(
    client, make, journey, locked
) -> None:
    item, _ao, people, _items = journey
    assessor = people["assessor"]
    long_ago = dt.datetime.combine(item.start_date, dt.time(), tzinfo=dt.UTC)
    db.session.add(
        OrganisationMembership(
            user=assessor,
            organisation=item.employer,
            role=Role.EMPLOYER_CONTACT,
            started_at=long_ago - dt.timedelta(days=900),
            ended_at=long_ago - dt.timedelta(days=1),
        )
    )
    db.session.flush()

    response = assign_over_api(client, journey, locked, assessor)

    assert response.status_code == 201, response.get_json()


def refusals(submission_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "assessment.assignment_refused",
                AuditEntry.object_id == submission_id,
            )
        )
    )


def test_refused_assignments_are_audited_on_the_page_and_the_api(
    client, login, journey, locked
) -> None:
    item, _ao, people, _items = journey
    tutor = item.tutor
    api = assign_over_api(client, journey, locked, tutor)
    assert api.status_code == 422
    page = login(people["ao_admin"]).post(
        f"/submissions/{locked.id}/assign",
        data={"assessor_id": people["other_assessor"].id},
        follow_redirects=True,
    )
    assert "not with the assessment organisation chosen" in page.get_data(as_text=True)

    db.session.expire_all()
    entries = refusals(locked.id)
    assert [e.details["assessor_id"] for e in entries] == [tutor.id, people["other_assessor"].id]
    assert all(e.actor_id == people["ao_admin"].id for e in entries)
    assert all(e.apprenticeship_id == item.id for e in entries)
    assert "cannot assess this showcase" in entries[0].details["reason"]
    assert entries[0].details["status"] == 422
    assert (
        db.session.scalar(select(Assessment).where(Assessment.submission_id == locked.id)) is None
    )
