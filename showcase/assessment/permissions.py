"""Who may see an assessment: its assessor, and the assessment organisation's QA and admins."""

from __future__ import annotations

from showcase.accounts.models import Role, User
from showcase.assessment.models import Assessment


def can_view_assessment(user: User, assessment: Assessment) -> bool:
    if user.id == assessment.assessor_id:
        return True
    org_id = assessment.submission.assessment_organisation_id
    return user.role in (Role.QUALITY_ASSURER, Role.ADMIN) and user.organisation_id == org_id
