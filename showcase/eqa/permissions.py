"""Who may grant and revoke external quality assurance access. Pure predicates."""

from __future__ import annotations

from showcase.accounts.models import OrganisationKind, Role, User
from showcase.submissions.models import AccessGrant, Submission


def is_assessment_admin(user: User) -> bool:
    """An admin of an assessment organisation: the people who grant external access."""
    return (
        user.role is Role.ADMIN
        and user.organisation is not None
        and user.organisation.kind is OrganisationKind.ASSESSMENT_ORGANISATION
    )


def can_grant_access(user: User, submission: Submission) -> bool:
    """Admins of the version's assessment organisation (it must be chosen, and theirs)."""
    return (
        is_assessment_admin(user)
        and submission.assessment_organisation_id is not None
        and submission.assessment_organisation_id == user.organisation_id
    )


def can_revoke_access(user: User, grant: AccessGrant) -> bool:
    """Admins of the organisation that granted it."""
    return is_assessment_admin(user) and grant.organisation_id == user.organisation_id
