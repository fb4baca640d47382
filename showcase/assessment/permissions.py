"""Who may see an assessment: its assessor, and the assessment organisation's QA and admins."""

from __future__ import annotations

from showcase.accounts.models import Role, User
from showcase.assessment.models import Assessment


def can_view_assessment(user: User, assessment: Assessment) -> bool:
    if user.id == assessment.assessor_id:
        return True
    org_id = assessment.submission.assessment_organisation_id
    return user.role in (Role.QUALITY_ASSURER, Role.ADMIN) and user.organisation_id == org_id


def can_see_outcome(user: User, assessment: Assessment) -> bool:
    """The parties see the confirmed grade once it has been graded."""
    a = assessment.submission.apprenticeship
    return can_view_assessment(user, assessment) or (
        assessment.final_grade is not None
        and user.id in (a.apprentice_id, a.line_manager_id, a.tutor_id)
    )
