"""Showcase submissions in the JSON API: the same services and checks as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_login import current_user
from pydantic import BaseModel, Field

from showcase import db
from showcase.api import Id, Text, bp, responses, spec, text, validated_body
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.standards.models import StandardReference
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services
from showcase.submissions.loaders import get_submission_or_404
from showcase.submissions.models import Submission


class CheckOut(BaseModel):
    label: str
    ok: bool
    detail: str


class SubmissionOut(BaseModel):
    id: int
    apprenticeship_id: int
    version: int
    status: str
    summary: str
    assessment_organisation_id: int | None
    evidence_ids: list[int]
    signoffs: list[dict[str, Any]]
    locked_at: dt.datetime | None
    fingerprint_sha256: str | None
    ready: bool | None = Field(None, description="Drafts: whether the gateway checklist is met")
    checklist: list[CheckOut] | None = None
    manifest: dict[str, Any] | None = None


class SubmissionList(BaseModel):
    items: list[SubmissionOut]


class ItemsIn(BaseModel):
    evidence_ids: list[Id]


class SummaryIn(BaseModel):
    summary: Text
    assessment_organisation_id: Id | None = None


class AcknowledgementIn(BaseModel):
    ref: text(StandardReference.ref)
    note: Text


class SignoffIn(BaseModel):
    confirm: bool


class VerificationOut(BaseModel):
    ok: bool
    fingerprint_ok: bool
    files_checked: int
    problems: list[dict[str, Any]]


def serialise(submission: Submission, *, full: bool = True) -> SubmissionOut:
    checklist = None if submission.is_locked or not full else services.checklist(submission)
    return SubmissionOut(
        id=submission.id,
        apprenticeship_id=submission.apprenticeship_id,
        version=submission.version,
        status=submission.status.value,
        summary=submission.summary,
        assessment_organisation_id=submission.assessment_organisation_id,
        evidence_ids=[i.evidence_id for i in submission.items],
        signoffs=[
            {"role": s.role.value, "user_id": s.user_id, "signed_at": s.signed_at.isoformat()}
            for s in submission.signoffs
        ],
        locked_at=submission.locked_at,
        fingerprint_sha256=submission.manifest_sha256,
        ready=checklist.ready if checklist else None,
        checklist=[CheckOut(label=c.label, ok=c.ok, detail=c.detail) for c in checklist.checks]
        if checklist
        else None,
        manifest=submission.manifest if full else None,
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/submissions")
@spec.validate(resp=responses(HTTP_200=SubmissionList), tags=["submissions"])
def list_submissions(apprenticeship_id: int) -> SubmissionList:
    """Every showcase version of an apprenticeship, newest first."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    return SubmissionList(
        items=[serialise(s, full=False) for s in services.versions(apprenticeship)]
    )


@bp.post("/apprenticeships/<int:apprenticeship_id>/submissions")
@spec.validate(resp=responses(403, 409, HTTP_201=SubmissionOut), tags=["submissions"])
def start_submission(apprenticeship_id: int) -> tuple[SubmissionOut, int]:
    """Open the draft, or start a new version after a locked one (the apprentice); 409 when
    the latest version is with the assessor or passed (a new version follows only a fail)."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    draft = services.start_version(current_user, apprenticeship)
    return serialise(draft), 201


@bp.get("/submissions/<int:submission_id>")
@spec.validate(resp=responses(HTTP_200=SubmissionOut), tags=["submissions"])
def get_submission(submission_id: int) -> SubmissionOut:
    """A version: its items, sign-offs, checklist (draft) or manifest and fingerprint (locked)."""
    return serialise(get_submission_or_404(current_user, submission_id))


@bp.put("/submissions/<int:submission_id>/items")
@spec.validate(json=ItemsIn, resp=responses(403, 409, HTTP_200=SubmissionOut), tags=["submissions"])
def put_items(submission_id: int) -> SubmissionOut:
    """Choose the evidence in the showcase (409 once locked)."""
    submission = get_submission_or_404(current_user, submission_id)
    services.set_items(current_user, submission, validated_body().evidence_ids)
    return serialise(submission)


@bp.put("/submissions/<int:submission_id>/summary")
@spec.validate(
    json=SummaryIn, resp=responses(403, 409, HTTP_200=SubmissionOut), tags=["submissions"]
)
def put_summary(submission_id: int) -> SubmissionOut:
    """The presentation summary and the assessment organisation (409 once locked)."""
    submission = get_submission_or_404(current_user, submission_id)
    body: SummaryIn = validated_body()
    services.set_summary(
        current_user,
        submission,
        summary=body.summary,
        assessment_organisation_id=body.assessment_organisation_id,
    )
    return serialise(submission)


@bp.post("/submissions/<int:submission_id>/acknowledgements")
@spec.validate(
    json=AcknowledgementIn, resp=responses(403, 409, HTTP_200=SubmissionOut), tags=["submissions"]
)
def post_acknowledgement(submission_id: int) -> SubmissionOut:
    """The line manager or tutor acknowledges an uncovered showcase unit, with a reason."""
    submission = get_submission_or_404(current_user, submission_id)
    body: AcknowledgementIn = validated_body()
    services.acknowledge_gap(current_user, submission, ref=body.ref, note=body.note)
    return serialise(submission)


@bp.post("/submissions/<int:submission_id>/signoffs")
@spec.validate(
    json=SignoffIn, resp=responses(403, 409, HTTP_200=SubmissionOut), tags=["submissions"]
)
def post_signoff(submission_id: int) -> SubmissionOut:
    """The line manager (employer) or tutor (training provider) signs the gateway declaration."""
    submission = get_submission_or_404(current_user, submission_id)
    services.sign_off(current_user, submission, confirm=validated_body().confirm)
    return serialise(submission)


@bp.post("/submissions/<int:submission_id>/lock")
@spec.validate(resp=responses(403, 409, 422, 503, HTTP_200=SubmissionOut), tags=["submissions"])
def post_lock(submission_id: int) -> SubmissionOut:
    """Submit: freeze the files, write the manifest and fingerprint, lock (the apprentice)."""
    submission = get_submission_or_404(current_user, submission_id)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        services.lock_submission(current_user, submission, storage=storage, written=written)
        db.session.commit()  # inside the blob guard: a failed commit removes the frozen copies
    return serialise(submission)


@bp.post("/submissions/<int:submission_id>/verify")
@spec.validate(resp=responses(422, 503, HTTP_200=VerificationOut), tags=["submissions"])
def post_verify(submission_id: int) -> VerificationOut:
    """Re-hash every frozen file and the manifest; list any difference."""
    submission = get_submission_or_404(current_user, submission_id)
    result = services.verify(submission, get_storage())
    return VerificationOut(
        ok=result.ok,
        fingerprint_ok=result.fingerprint_ok,
        files_checked=result.checked,
        problems=[{"evidence_id": e, "problem": p} for e, p in result.problems],
    )
