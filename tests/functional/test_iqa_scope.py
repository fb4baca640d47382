"""What an internal quality assurer sees: assessment decisions to sample, nothing before.

The plan's IQA samples decisions: an assessment becomes theirs to read once its assessor has
confirmed a grade, within their own assessment organisation, never when they are related to
the apprentice. The frozen showcase is read through that assessment (as the assessor reads it),
never through the submission pages, which stay with the parties and the organisations' admins.
"""

from __future__ import annotations

import pytest

from showcase import db
from showcase.accounts.models import OrganisationKind, Role
from showcase.assessment import services as assessment_services
from showcase.assessment.models import AssessmentStatus
from tests.factories import api_headers


def _paths(assessment, item_id: int) -> dict[str, str]:
    return {
        "assessment page": f"/assessments/{assessment.id}",
        "assessment API": f"/api/v1/assessments/{assessment.id}",
        "frozen file": f"/assessments/{assessment.id}/items/{item_id}/file",
    }


def _statuses(client, user, assessment, item_id: int) -> dict[str, int]:
    """GET every path as ``user``: the pages through their session, the API by token."""
    headers = api_headers(user)
    return {
        name: (client.get(path, headers=headers) if "API" in name else client.get(path)).status_code
        for name, path in _paths(assessment, item_id).items()
    }


def _submission_statuses(client, user, submission) -> tuple[int, int]:
    return (
        client.get(f"/submissions/{submission.id}").status_code,
        client.get(f"/api/v1/submissions/{submission.id}", headers=api_headers(user)).status_code,
    )


def _grade(assessment) -> None:
    # The assessor's confirmation, as far as visibility is concerned (grading has its own tests).
    assessment.status = AssessmentStatus.GRADED
    assessment.final_grade = "pass"
    assessment.graded_at = db.utcnow()
    db.session.flush()


@pytest.fixture
def assessed(journey, locked):
    _item, _ao, people, items = journey
    assessment = assessment_services.assign(people["ao_admin"], locked, people["assessor"])
    return people, items[0].id, locked, assessment


def test_the_iqa_sees_nothing_before_the_grade_is_confirmed(login, assessed) -> None:
    people, item_id, submission, assessment = assessed
    client = login(people["qa"])
    assert _statuses(client, people["qa"], assessment, item_id) == dict.fromkeys(
        _paths(assessment, item_id), 404
    )
    assert _submission_statuses(client, people["qa"], submission) == (404, 404)


@pytest.mark.parametrize(
    "status", [s for s in AssessmentStatus if s is not AssessmentStatus.ASSIGNED]
)
def test_the_iqa_samples_a_confirmed_grade_of_their_organisation(
    login, assessed, status: AssessmentStatus
) -> None:
    people, item_id, submission, assessment = assessed
    _grade(assessment)
    assessment.status = status
    db.session.flush()
    client = login(people["qa"])
    assert _statuses(client, people["qa"], assessment, item_id) == dict.fromkeys(
        _paths(assessment, item_id), 200
    )
    # The showcase is read through the assessment, never through the submission pages.
    assert _submission_statuses(client, people["qa"], submission) == (404, 404)


def test_an_iqa_of_another_organisation_never_sees_it(make, login, assessed) -> None:
    _people, item_id, submission, assessment = assessed
    _grade(assessment)
    outsider = make.user(
        Role.QUALITY_ASSURER, make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION)
    )
    client = login(outsider)
    assert set(_statuses(client, outsider, assessment, item_id).values()) == {404}
    assert _submission_statuses(client, outsider, submission) == (404, 404)


def test_an_iqa_related_to_the_apprentice_never_sees_it(
    make,
    login,
    journey,
    assessed,
) -> None:
    people, item_id, _submission, assessment = assessed
    _grade(assessment)
    ao = journey[1]
    related = make.user(Role.QUALITY_ASSURER, ao)
    # Once their tutor on another apprenticeship: the plan's independence rule applies to QA too.
    make.apprenticeship(apprentice=people["apprentice"], tutor=related)
    assert assessment_services.qa_problems(related, assessment)
    client = login(related)
    assert set(_statuses(client, related, assessment, item_id).values()) == {404}


def test_the_assessment_organisations_admin_still_reads_the_locked_showcase(
    login, assessed
) -> None:
    people, _item_id, submission, assessment = assessed
    client = login(people["ao_admin"])
    assert _submission_statuses(client, people["ao_admin"], submission) == (200, 200)
    assert client.get(f"/assessments/{assessment.id}").status_code == 200
