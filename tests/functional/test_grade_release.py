"""The grade released: hidden from the apprentice's side while quality assurance samples it,
then shown (page, API, notification) with the date, and the apprenticeship moves to graded."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from showcase import db
from showcase.assessment import services
from showcase.assessment.models import Assessment, AssessmentStatus
from showcase.assessment.stage import Stage, standing_of
from showcase.audit.models import AuditEntry
from showcase.errors import Conflict
from showcase.home.todo import todo_for
from showcase.notifications.models import Kind, Notification
from showcase.standards.services import doc_for
from tests.factories import api_headers

FEEDBACK = "Handled the complaint calmly and followed it up."


def graded(people, locked, *, met: bool = True) -> Assessment:
    """Assign, judge every criterion (a comment on the first), record the live methods and
    confirm, as the assessor would."""
    assessment = services.assign(people["ao_admin"], locked, people["assessor"])
    doc = doc_for(locked.apprenticeship.standard)
    assessor = people["assessor"]
    for i, c in enumerate(doc.criteria()):
        services.record_judgement(
            assessor,
            assessment,
            ref=c.ref,
            met=met or c.level == "distinction" or i > 0,
            comment=FEEDBACK if i == 0 else "",
        )
    for method in services.methods_needing_records(doc):
        services.save_method_record(
            assessor,
            assessment,
            method_key=method.key,
            held_on=dt.date.today(),
            duration_minutes=60,
            notes=f"The {method.title}.",
            areas=list(doc.plan.observation_mandatory_areas)
            if method.key == services.OBSERVATION_METHOD
            else [],
        )
    services.confirm_grade(assessor, assessment)
    return assessment


def told(user) -> list[Kind]:
    return list(
        db.session.scalars(select(Notification.kind).where(Notification.recipient_id == user.id))
    )


def result_of(client, locked, person) -> dict:
    response = client.get(f"/api/v1/submissions/{locked.id}/result", headers=api_headers(person))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def page_of(login, person, locked) -> str:
    client = login(person)
    page = client.get(f"/submissions/{locked.id}").get_data(as_text=True)
    client.post("/sign-out")
    return page


def test_a_sampled_grade_is_released_when_quality_assurance_agrees(
    client, login, journey, locked
) -> None:
    item, _ao, people, _items = journey
    # The assessor's first decision: always in the sample, so not released on confirmation.
    assessment = graded(people, locked)
    assert services.released_at(assessment) is None
    assert standing_of(item.id).stage is Stage.WITH_ASSESSOR
    page = page_of(login, people["apprentice"], locked)
    assert "Your result" not in page and FEEDBACK not in page
    assert "Start a new version" not in page  # a grade is on its way: nothing to resubmit
    for who in ("apprentice", "manager", "tutor"):
        assert result_of(client, locked, people[who]) == {
            "submission_id": locked.id,
            "released": False,
            "released_at": None,
            "grade": None,
            "grade_words": None,
            "methods": [],
            "explanation": [],
            "feedback": [],
            "resubmission_possible": False,
        }
        assert Kind.GRADE_RELEASED not in told(people[who])
    assert [i.kind for i in todo_for(people["qa"])] == ["qa_sample"]

    services.decide_qa(people["qa"], assessment, agrees=True, reasons="Well evidenced decision.")
    db.session.flush()
    assert services.released_at(assessment) is not None
    standing = standing_of(item.id)
    assert standing.stage is Stage.GRADED and standing.graded_at is not None
    assert (
        db.session.scalar(
            select(AuditEntry.actor_id).where(
                AuditEntry.action == services.RELEASED, AuditEntry.object_id == assessment.id
            )
        )
        == people["qa"].id
    )
    for who in ("apprentice", "manager", "tutor"):
        body = result_of(client, locked, people[who])
        assert body["released"] is True and body["released_at"]
        assert body["grade"] == assessment.final_grade == "pass_distinction_undetermined"
        assert body["grade_words"].startswith("Pass — distinction cannot be determined")
        assert {m["title"] for m in body["methods"]} >= {"Practical Observation"}
        assert body["feedback"][0]["comment"] == FEEDBACK
        assert body["resubmission_possible"] is False
        assert Kind.GRADE_RELEASED in told(people[who])
    page = page_of(login, people["apprentice"], locked)
    assert "Your result" in page and "Released on" in page and FEEDBACK in page
    assert "Pass — distinction cannot be determined" in page
    assert "Start a new version" not in page  # a pass: nothing to resubmit
    assert "The result" in page_of(login, people["tutor"], locked)
    # Only the apprentice's side reads the result here; the assessor has their workspace.
    response = client.get(
        f"/api/v1/submissions/{locked.id}/result", headers=api_headers(people["assessor"])
    )
    assert response.status_code == 404


def test_a_decision_out_of_the_sample_is_released_on_confirmation(
    client, journey, locked, monkeypatch
) -> None:
    item, _ao, people, _items = journey
    monkeypatch.setattr(services, "in_sample", lambda *_args, **_kwargs: False)
    assessment = graded(people, locked)
    assert assessment.status is AssessmentStatus.GRADED
    assert services.is_released(assessment)
    assert standing_of(item.id).stage is Stage.GRADED
    assert result_of(client, locked, people["apprentice"])["released"] is True
    assert Kind.GRADE_RELEASED in told(people["apprentice"])
    # Settled at confirmation: quality assurance neither lists nor samples it afterwards.
    assert todo_for(people["qa"]) == []
    with pytest.raises(Conflict):
        services.decide_qa(people["qa"], assessment, agrees=False, reasons="Too late to ask.")


def test_plain_language_and_a_new_version_only_after_a_released_fail(
    login, journey, locked
) -> None:
    _item, _ao, people, _items = journey
    page = page_of(login, people["apprentice"], locked)
    assert "Your showcase was submitted on" in page and "has not changed since" in page
    assert "Check it has not changed" in page
    details = page[page.index("<details>") : page.index("</details>")]
    assert "Details for assessors" in details and locked.manifest_sha256 in details
    assert locked.manifest_sha256 not in page.replace(details, "")
    assert "Start a new version" in page  # locked, nobody assessing it yet

    assessment = graded(people, locked, met=False)
    assert assessment.final_grade in services.FAIL_GRADES
    page = page_of(login, people["apprentice"], locked)
    assert "Start a new version" not in page and "Your result" not in page
    services.decide_qa(people["qa"], assessment, agrees=True, reasons="The fail is well founded.")
    page = page_of(login, people["apprentice"], locked)
    assert "Your result" in page and "Start a new version" in page


def test_the_service_refuses_a_new_version_after_a_pass(journey, locked) -> None:
    """Not only the page: starting a version (page, API or service) after a graded pass, or
    while the grade is with the assessor or quality assurance, is refused; after a released
    fail it is allowed."""
    from showcase.submissions import services as submissions

    item, _ao, people, _items = journey
    assessment = graded(people, locked, met=True)
    assert assessment.final_grade not in services.FAIL_GRADES
    with pytest.raises(Conflict, match="nothing to resubmit"):
        submissions.start_version(people["apprentice"], item)
    services.decide_qa(people["qa"], assessment, agrees=True, reasons="The pass is well founded.")
    with pytest.raises(Conflict, match="nothing to resubmit"):
        submissions.start_version(people["apprentice"], item)


def test_the_service_allows_a_new_version_after_a_released_fail(journey, locked) -> None:
    from showcase.submissions import services as submissions

    item, _ao, people, _items = journey
    assessment = graded(people, locked, met=False)
    with pytest.raises(Conflict):
        submissions.start_version(people["apprentice"], item)  # with quality assurance
    services.decide_qa(people["qa"], assessment, agrees=True, reasons="The fail is well founded.")
    draft = submissions.start_version(people["apprentice"], item)
    assert draft.version == locked.version + 1 and not draft.is_locked
