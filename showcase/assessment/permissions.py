"""Who may see an assessment: its assessor, the assessment organisation's admins, and its
quality assurers once there is a decision to sample."""

from __future__ import annotations

from showcase.accounts.models import Role, User
from showcase.assessment.models import Assessment, AssessmentStatus
from showcase.assessment.services import qa_problems
from showcase.submissions.models import Submission


def can_view_assessment(user: User, assessment: Assessment) -> bool:
    """The assessor; the assessment organisation's admins (they assign it); and, once the
    assessor has confirmed a grade, a quality assurer who may sample it.

    The plan's internal quality assurer samples assessment decisions, so before the first
    confirmation there is nothing of theirs to see (the frozen showcase included: they read it
    through the assessment, as the assessor does). Who may sample is the independence rule of
    ``services.qa_problems`` (their organisation, never the assessor, never related to the
    apprentice), kept in that one place; it reads the apprentice's history, so this predicate
    is not pure for quality assurers.
    """
    if user.id == assessment.assessor_id:
        return True
    org_id = assessment.submission.assessment_organisation_id
    if user.role is Role.ADMIN:
        return user.organisation_id == org_id
    if user.role is not Role.QUALITY_ASSURER or assessment.status is AssessmentStatus.ASSIGNED:
        return False
    return not qa_problems(user, assessment)


def can_see_result(user: User, submission: Submission) -> bool:
    """The apprentice, their line manager and their tutor see a released grade of their
    showcase (whether it is released is ``services.released_result``'s to say)."""
    apprenticeship = submission.apprenticeship
    return user.id in (
        apprenticeship.apprentice_id,
        apprenticeship.line_manager_id,
        apprenticeship.tutor_id,
    )
