"""Per-object loaders: 404 for any assessment the user may not see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from showcase import db
from showcase.accounts.models import Role, User
from showcase.assessment.models import Assessment, AssessmentStatus, Judgement
from showcase.assessment.permissions import can_view_assessment
from showcase.errors import NotFound
from showcase.submissions.models import Submission


def get_assessment_or_404(user: User, assessment_id: int) -> Assessment:
    """The assessment if ``user`` may see it; the same 404 whether it exists or not."""
    assessment = db.session.scalar(
        select(Assessment)
        .where(Assessment.id == assessment_id)
        .options(
            # The workspace reads every judgement's criterion ref: load them with it.
            selectinload(Assessment.judgements).joinedload(Judgement.reference),
            selectinload(Assessment.judgements).selectinload(Judgement.citations),
            selectinload(Assessment.records),
            selectinload(Assessment.qa_decisions),
        )
    )
    if assessment is None or not can_view_assessment(user, assessment):
        raise NotFound("No such assessment, or it is not assigned to you.")
    return assessment


def get_queued_submission_or_404(user: User, submission_id: int) -> Submission:
    """A showcase sent to ``user``'s organisation for assessment; 404 for any other."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.assessment_organisation_id != user.organisation_id:
        raise NotFound("No such showcase in your organisation's queue.")
    return submission


def assessments_for(user: User) -> list[Assessment]:
    """The home page's list: an assessor's assignments, or a QA's organisation's grades."""
    stmt = select(Assessment).join(Submission).order_by(Assessment.assigned_at.desc())
    if user.role is Role.ASSESSOR:
        stmt = stmt.where(Assessment.assessor_id == user.id)
    elif user.role is Role.ADMIN and user.organisation_id:
        stmt = stmt.where(Submission.assessment_organisation_id == user.organisation_id)
    elif user.role is Role.QUALITY_ASSURER and user.organisation_id:
        # Only decisions they may sample: graded, not their own, not related (the permission).
        stmt = stmt.where(
            Submission.assessment_organisation_id == user.organisation_id,
            Assessment.status != AssessmentStatus.ASSIGNED,
            Assessment.assessor_id != user.id,
        )
        return [a for a in db.session.scalars(stmt) if can_view_assessment(user, a)]
    else:
        return []
    return list(db.session.scalars(stmt))
