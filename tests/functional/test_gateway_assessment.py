"""Gateway, the locked showcase and independent assessment, through the pages."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from sqlalchemy import select, update

from showcase import db
from showcase.accounts.models import Role
from showcase.assessment.models import Assessment, AssessmentStatus
from showcase.audit.models import AuditEntry
from showcase.audit.services import verify_chain
from showcase.evidence.models import Evidence
from showcase.standards.services import doc_for
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from showcase.submissions.models import Submission, SubmissionStatus
from tests.factories import api_headers, prepare, sign_review_point


def test_checklist_comes_from_the_standard(journey) -> None:
    item, _ao, people, _items = journey
    draft = submissions.start_version(people["apprentice"], item)
    checks = {c.label: c for c in submissions.checklist(draft).checks}
    assert checks["At least 12 months on programme"].ok
    assert not checks["Showcase-area criteria covered, or each gap acknowledged"].ok
    doc = doc_for(item.standard)
    showcase_units = [u for u in doc.units() if u.module_key in doc.plan.showcase_areas]
    assert len(submissions.checklist(draft).gaps) == len(showcase_units) - 1  # one is covered


def test_unsigned_reviews_hold_the_gateway(make) -> None:
    item = make.apprenticeship(start_date=dt.date.today() - dt.timedelta(days=400))
    sign_review_point(item, 3)
    draft = submissions.start_version(item.apprentice, item)
    check = next(c for c in submissions.checklist(draft).checks if "reviews" in c.label)
    assert not check.ok
    assert check.detail.startswith("not signed: 6-month")
    sign_review_point(item, 6)
    sign_review_point(item, 9)
    check = next(c for c in submissions.checklist(draft).checks if "reviews" in c.label)
    assert check.ok


def test_too_early_for_the_gateway(make) -> None:
    item = make.apprenticeship(start_date=dt.date.today() - dt.timedelta(days=100))
    draft = submissions.start_version(item.apprentice, item)
    check = next(c for c in submissions.checklist(draft).checks if "months" in c.label)
    assert not check.ok
    assert check.detail == "3 months so far"


def test_lock_needs_a_complete_checklist(login, journey) -> None:
    item, _ao, people, items = journey
    draft = submissions.start_version(people["apprentice"], item)
    submissions.set_items(people["apprentice"], draft, [items[0].id])
    client = login(people["apprentice"])
    page = client.post(f"/submissions/{draft.id}/lock", follow_redirects=True)
    assert "not ready to submit" in page.get_data(as_text=True)
    assert db.session.get(Submission, draft.id).status is SubmissionStatus.DRAFT


def test_changing_the_selection_clears_sign_offs(journey) -> None:
    _item, _ao, people, items = journey
    draft = prepare(journey)
    assert len(draft.signoffs) == 2
    submissions.set_items(people["apprentice"], draft, [items[0].id])
    assert draft.signoffs == []


def test_lock_freezes_manifest_and_records(login, journey) -> None:
    _item, _ao, people, items = journey
    draft = prepare(journey)
    client = login(people["apprentice"])
    response = client.post(f"/submissions/{draft.id}/lock")
    assert response.status_code == 302
    db.session.expire_all()
    locked = db.session.get(Submission, draft.id)
    assert locked.status is SubmissionStatus.LOCKED
    assert len(locked.manifest_sha256) == 64
    files = [i["file"] for i in locked.manifest["items"]]
    assert [f["sha256"] for f in files] == [e.file.sha256 for e in items]
    for f in files:
        assert f["storage_key"].startswith("frozen/")
        assert get_storage().exists(f["storage_key"])
    assert all(db.session.get(Evidence, e.id).locked_at for e in items)
    assert submissions.verify(locked, get_storage()).ok
    manifest = client.get(f"/submissions/{draft.id}/manifest.json").get_json()
    assert manifest["fingerprint_sha256"] == locked.manifest_sha256


def test_every_change_to_a_locked_showcase_is_refused(login, journey, locked) -> None:
    _item, _ao, people, items = journey
    tag = items[0].tags[0]
    attempts = {
        "apprentice": [
            (f"/submissions/{locked.id}/items", {"evidence": [str(items[0].id)]}),
            (f"/submissions/{locked.id}/summary", {"summary": "changed"}),
            (f"/submissions/{locked.id}/lock", {}),
            (f"/evidence/{items[0].id}/delete", {}),
            (
                f"/evidence/{items[0].id}/edit",
                {
                    "details-title": "x",
                    "details-kind": "photo",
                    "details-activity_date": "2026-01-01",
                },
            ),
            (
                f"/evidence/{items[0].id}/tags",
                {
                    "tag-reference": "ST0072/team-working/1.1",
                    "tag-justification": "another criterion entirely",
                },
            ),
            (f"/tags/{tag.id}/remove", {}),
        ],
        "tutor": [
            (f"/submissions/{locked.id}/sign-off", {"confirm": "yes"}),
            (
                f"/submissions/{locked.id}/acknowledge",
                {"ref": "ST0072/team-working/1.1", "note": "a late acknowledgement"},
            ),
            (f"/tags/{tag.id}/review", {"review-decision": "accept"}),
        ],
        "manager": [(f"/submissions/{locked.id}/sign-off", {"confirm": "yes"})],
    }
    fingerprint = locked.manifest_sha256
    for who, posts in attempts.items():
        client = login(people[who])
        for path, data in posts:
            response = client.post(path, data=data)
            assert response.status_code == 409, (who, path, response.status_code)
            assert "locked" in response.get_data(as_text=True) or "submitted" in response.get_data(
                as_text=True
            )
        client.post("/sign-out")
    db.session.expire_all()
    again = db.session.get(Submission, locked.id)
    assert again.manifest_sha256 == fingerprint
    assert submissions.verify(again, get_storage()).ok
    assert db.session.get(Evidence, items[0].id).deleted_at is None


def test_tampering_is_reported_for_exactly_that_item(app, journey, locked) -> None:
    _item, _ao, _people, items = journey
    target = next(i for i in locked.manifest["items"] if i["evidence_id"] == items[1].id)
    path = Path(app.config["UPLOAD_ROOT"]) / target["file"]["storage_key"]
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    result = submissions.verify(locked, get_storage())
    assert not result.ok
    assert [evidence_id for evidence_id, _ in result.problems] == [items[1].id]
    runner = app.test_cli_runner()
    output = runner.invoke(args=["submissions", "verify", str(locked.id)])
    assert output.exit_code == 1
    assert f"evidence {items[1].id}" in output.output


def test_new_version_keeps_the_old_one_locked(journey, locked) -> None:
    item, _ao, people, _items = journey
    draft = submissions.start_version(people["apprentice"], item)
    assert draft.version == 2
    assert [i.evidence_id for i in draft.items] == [i.evidence_id for i in locked.items]
    assert db.session.get(Submission, locked.id).is_locked


def test_conflicted_assessors_are_refused_with_the_reason(login, make, journey, locked) -> None:
    item, ao, people, _items = journey
    former_tutor = make.user(Role.TUTOR)
    make.apprenticeship(
        apprentice=item.apprentice, line_manager=item.line_manager, tutor=former_tutor
    )
    former_tutor.role = Role.ASSESSOR
    former_tutor.organisation = ao
    db.session.flush()
    client = login(people["ao_admin"])
    page = client.post(
        f"/submissions/{locked.id}/assign",
        data={"assessor_id": former_tutor.id},
        follow_redirects=True,
    )
    text = page.get_data(as_text=True)
    assert "cannot assess this showcase" in text
    assert "has been" in text and "tutor" in text
    page = client.post(
        f"/submissions/{locked.id}/assign",
        data={"assessor_id": people["other_assessor"].id},
        follow_redirects=True,
    )
    assert "not with the assessment organisation chosen" in page.get_data(as_text=True)
    assert (
        db.session.scalar(select(Assessment).where(Assessment.submission_id == locked.id)) is None
    )


def judge_everything(client, assessment_id: int, doc, met: bool = True) -> None:
    """Judge each criterion with its own form, as the workspace does (one save per criterion)."""
    for c in doc.criteria():
        _code, module_key, key = c.ref.split("/", 2)
        saved = client.post(
            f"/assessments/{assessment_id}/criteria/{module_key}/{key}",
            data={"outcome": "met" if (met or c.level == "distinction") else "not_met"},
        )
        assert saved.status_code == 302, saved.get_data(as_text=True)[:500]


def test_assessment_grading_and_quality_assurance(login, journey, locked) -> None:
    item, _ao, people, items = journey
    doc = doc_for(item.standard)
    admin = login(people["ao_admin"])
    admin.post(f"/submissions/{locked.id}/assign", data={"assessor_id": people["assessor"].id})
    admin.post("/sign-out")
    assessment = db.session.scalar(select(Assessment).where(Assessment.submission_id == locked.id))
    assert assessment is not None

    # Only the assigned assessor (and the AO's QA/admins) see it; the apprentice does not.
    assert login(people["other_assessor"]).get(f"/assessments/{assessment.id}").status_code == 404
    login(people["other_assessor"]).post("/sign-out")

    assessor = login(people["assessor"])
    page = assessor.get(f"/assessments/{assessment.id}").get_data(as_text=True)
    assert "0 of 55 criteria judged" in page
    frozen = assessor.get(
        f"/assessments/{assessment.id}/items/{items[0].id}/file?inline=1",
        headers={"Range": "bytes=0-9"},
    )
    assert frozen.status_code == 206
    assert frozen.headers["Content-Type"] == "audio/mpeg"

    judge_everything(assessor, assessment.id, doc)
    page = assessor.post(f"/assessments/{assessment.id}/confirm", follow_redirects=True)
    assert "Record the Practical Observation" in page.get_data(as_text=True)
    missing_area = assessor.post(
        f"/assessments/{assessment.id}/records/observation",
        data={
            "held_on": dt.date.today().isoformat(),
            "duration_minutes": "70",
            "notes": "Handled three customers.",
            "areas": ["communication"],
        },
        follow_redirects=True,
    )
    assert "must cover every mandatory area" in missing_area.get_data(as_text=True)
    assessor.post(
        f"/assessments/{assessment.id}/records/observation",
        data={
            "held_on": dt.date.today().isoformat(),
            "duration_minutes": "70",
            "notes": "Handled three customers.",
            "areas": list(doc.plan.observation_mandatory_areas),
        },
    )
    assessor.post(
        f"/assessments/{assessment.id}/records/professional-discussion",
        data={
            "held_on": dt.date.today().isoformat(),
            "duration_minutes": "60",
            "notes": "Discussed knowledge modules.",
        },
    )
    page = assessor.post(f"/assessments/{assessment.id}/confirm", follow_redirects=True)
    db.session.expire_all()
    assessment = db.session.get(Assessment, assessment.id)
    assert assessment.status is AssessmentStatus.GRADED
    # Every criterion met; the showcase's distinction criteria are not in the data: a pass
    # whose distinction cannot be determined, in the stored value itself — never a bare pass.
    assert assessment.final_grade == "pass_distinction_undetermined"
    assert assessment.result["overall"] == "pass"
    assert assessment.result["distinction"] == "undetermined"
    showcase = next(m for m in assessment.result["methods"] if m["key"] == "showcase")
    assert showcase["distinction_undetermined"]
    words = (
        "Pass — distinction cannot be determined: the Apprentice Showcase distinction criteria "
        "are missing from the data"
    )
    shown = page.get_data(as_text=True)
    assert f"Confirmed on {dt.date.today():%-d %b %Y}: <strong>{words}</strong>" in shown
    assert "judgements are final" in shown
    assert f'id="computed-grade">{words}<' in shown
    from showcase.assessment.api import serialise

    api = serialise(assessment).model_dump(mode="json")
    assert api["final_grade"] == "pass_distinction_undetermined"
    assert api["final_grade_words"] == words
    assert api["computed"]["distinction"] == "undetermined"
    assert api["computed"]["headline"] == words
    assessor.post("/sign-out")

    qa = login(people["qa"])
    qa.post(
        f"/assessments/{assessment.id}/qa",
        data={"decision": "disagree", "reasons": "Observation notes are too thin."},
    )
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).status is AssessmentStatus.SECOND_REVIEW
    qa.post("/sign-out")
    assessor = login(people["assessor"])
    assessor.post(f"/assessments/{assessment.id}/confirm")
    assessor.post("/sign-out")
    qa = login(people["qa"])
    qa.post(
        f"/assessments/{assessment.id}/qa",
        data={"decision": "agree", "reasons": "Second review is well evidenced."},
    )
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).status is AssessmentStatus.ASSURED


def test_an_unmet_pass_criterion_fails(login, journey, locked) -> None:
    from showcase.assessment import services as assessment_services

    item, _ao, people, _items = journey
    assessment = assessment_services.assign(people["ao_admin"], locked, people["assessor"])
    doc = doc_for(item.standard)
    first = doc.criteria("observation")[0]
    assessment_services.record_judgement(people["assessor"], assessment, ref=first.ref, met=False)
    result = assessment_services.compute(assessment)
    assert result.overall == "fail"


def test_assessor_cannot_quality_assure_own_decision(journey, locked) -> None:
    from showcase.assessment import services as assessment_services

    _item, _ao, people, _items = journey
    assessment = assessment_services.assign(people["ao_admin"], locked, people["assessor"])
    problems = assessment_services.qa_problems(people["assessor"], assessment)
    assert "the assessor cannot quality-assure their own decision" in problems


def test_audit_chain_records_the_journey_and_detects_edits(app, journey, locked) -> None:
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    for expected in (
        "evidence.added",
        "tag.created",
        "tag.accepted",
        "gateway.signed_off",
        "submission.locked",
    ):
        assert expected in actions
    checked, problems = verify_chain()
    assert checked == len(actions)
    assert problems == []
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    victim = db.session.scalar(
        select(AuditEntry.id).where(AuditEntry.action == "submission.locked")
    )
    db.session.execute(update(AuditEntry).where(AuditEntry.id == victim).values(details={"x": 1}))
    _checked, problems = verify_chain()
    assert [p.entry_id for p in problems] == [victim]


def test_api_journey_and_locked_refusals(client, journey) -> None:
    item, ao, people, items = journey
    apprentice = api_headers(people["apprentice"])
    draft = client.post(f"/api/v1/apprenticeships/{item.id}/submissions", headers=apprentice)
    assert draft.status_code == 201, draft.get_json()
    sid = draft.get_json()["id"]
    assert draft.get_json()["ready"] is False
    client.put(
        f"/api/v1/submissions/{sid}/items",
        headers=apprentice,
        json={"evidence_ids": [e.id for e in items]},
    )
    client.put(
        f"/api/v1/submissions/{sid}/summary",
        headers=apprentice,
        json={"summary": "Via the API.", "assessment_organisation_id": ao.id},
    )
    submission = db.session.get(Submission, sid)
    tutor = api_headers(people["tutor"])
    for gap in submissions.checklist(submission).gaps:
        response = client.post(
            f"/api/v1/submissions/{sid}/acknowledgements",
            headers=tutor,
            json={"ref": gap.ref, "note": "Covered at the discussion."},
        )
        assert response.status_code == 200
    for who in ("manager", "tutor"):
        response = client.post(
            f"/api/v1/submissions/{sid}/signoffs",
            headers=api_headers(people[who]),
            json={"confirm": True},
        )
        assert response.status_code == 200, response.get_json()
    locked = client.post(f"/api/v1/submissions/{sid}/lock", headers=apprentice)
    assert locked.status_code == 200, locked.get_json()
    assert len(locked.get_json()["fingerprint_sha256"]) == 64
    refused = [
        client.put(
            f"/api/v1/submissions/{sid}/items", headers=apprentice, json={"evidence_ids": []}
        ),
        client.put(f"/api/v1/submissions/{sid}/summary", headers=apprentice, json={"summary": "x"}),
        client.post(f"/api/v1/submissions/{sid}/lock", headers=apprentice),
        client.post(f"/api/v1/submissions/{sid}/signoffs", headers=tutor, json={"confirm": True}),
        client.post(
            f"/api/v1/submissions/{sid}/acknowledgements",
            headers=tutor,
            json={"ref": "ST0072/team-working/1.1", "note": "too late for this"},
        ),
    ]
    for response in refused:
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "submission_locked"
    verified = client.post(f"/api/v1/submissions/{sid}/verify", headers=apprentice).get_json()
    assert verified["ok"] is True
    assert verified["files_checked"] == 2

    outsider = api_headers(people["other_assessor"])
    assert client.get(f"/api/v1/submissions/{sid}", headers=outsider).status_code == 404
    assigned = client.post(
        f"/api/v1/submissions/{sid}/assessment",
        headers=api_headers(people["ao_admin"]),
        json={"assessor_id": people["assessor"].id},
    )
    assert assigned.status_code == 201, assigned.get_json()
    aid = assigned.get_json()["id"]
    assessor = api_headers(people["assessor"])
    doc = doc_for(item.standard)
    first = doc.criteria("observation")[0].ref
    judged = client.put(
        f"/api/v1/assessments/{aid}/judgements",
        headers=assessor,
        json={"judgements": [{"ref": first, "met": False, "comment": "Not seen."}]},
    )
    assert judged.get_json()["computed"]["overall"] == "fail"
    assert client.get(f"/api/v1/assessments/{aid}", headers=outsider).status_code == 404
    # The quality assurer samples confirmed grades: before one, the assessment is not theirs
    # to see (tests/functional/test_iqa_scope.py has the rest).
    by_qa = client.put(
        f"/api/v1/assessments/{aid}/judgements",
        headers=api_headers(people["qa"]),
        json={"judgements": [{"ref": first, "met": True}]},
    )
    assert by_qa.status_code == 404
    assert (
        client.get(f"/api/v1/assessments/{aid}", headers=api_headers(people["qa"])).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("other_assessor", 404),  # not party, not assigned: cannot even see it
        ("assessor", 404),  # assessors read through their assignment, never change the showcase
        ("qa", 404),  # quality assurers read through a graded assessment, never this
        ("ao_admin", 409),
    ],
)
def test_other_roles_cannot_change_a_locked_showcase(login, journey, locked, who, expected) -> None:
    _item, _ao, people, items = journey
    client = login(people[who])
    for path, data in (
        (f"/submissions/{locked.id}/items", {"evidence": [str(items[0].id)]}),
        (f"/submissions/{locked.id}/summary", {"summary": "changed"}),
        (f"/submissions/{locked.id}/sign-off", {"confirm": "yes"}),
        (f"/submissions/{locked.id}/lock", {}),
    ):
        assert client.post(path, data=data).status_code == expected, path
    # Portfolio evidence is not theirs to see at all.
    assert client.post(f"/evidence/{items[0].id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(Submission, locked.id).manifest_sha256 == locked.manifest_sha256


def test_months_on_programme_agree_with_the_review_points(make) -> None:
    # A start on 31 January completes a month on 29 February (the 1-month point), not in March.
    item = make.apprenticeship(start_date=dt.date(2024, 1, 31))
    assert item.months_on_programme(dt.date(2024, 2, 28)) == 0
    assert item.months_on_programme(dt.date(2024, 2, 29)) == 1
    assert item.months_on_programme(dt.date(2025, 1, 30)) == 11
    assert item.months_on_programme(dt.date(2025, 1, 31)) == 12
