"""Who may shape, sign off, lock and read a showcase submission. The lock is part of policy."""

from __future__ import annotations

from sqlalchemy import exists, select

from showcase import db
from showcase.accounts.models import Role, User
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import can_manage_apprenticeship
from showcase.submissions.models import AccessGrant, SignoffRole, Submission


def can_edit_submission(user: User, submission: Submission) -> bool:
    return user.id == submission.apprenticeship.apprentice_id and not submission.is_locked


def signoff_role(user: User, apprenticeship: Apprenticeship) -> SignoffRole | None:
    """The gateway role ``user`` signs for on this apprenticeship, if any."""
    if user.id == apprenticeship.line_manager_id:
        return SignoffRole.EMPLOYER
    if user.id == apprenticeship.tutor_id:
        return SignoffRole.TRAINING_PROVIDER
    return None


def can_sign_off(user: User, submission: Submission) -> bool:
    return not submission.is_locked and signoff_role(user, submission.apprenticeship) is not None


def can_read_submission(user: User, submission: Submission) -> bool:
    """Parties and their organisations' admins; the assessment organisation's admins once locked
    (they assign an assessor).

    Assessors and quality assurers read through the assessment (showcase.assessment), never
    through this: an assessor once assigned, a quality assurer once a grade is confirmed.
    External quality assurers read a locked version only through a live grant.
    """
    if user.role is Role.EXTERNAL_QUALITY_ASSURER:
        return can_read_submission_as_eqa(user, submission)
    a = submission.apprenticeship
    if user.id in (a.apprentice_id, a.line_manager_id, a.tutor_id):
        return True
    if user.role is not Role.ADMIN:
        return False
    if can_manage_apprenticeship(user, a):
        return True
    return (
        submission.is_locked
        and submission.assessment_organisation_id is not None
        and user.organisation_id == submission.assessment_organisation_id
    )


def can_read_submission_as_eqa(user: User, submission: Submission) -> bool:
    """An active external quality assurer with an unexpired, unrevoked grant on this locked
    version. One query (a grant is a row, not something the user object carries)."""
    if user.role is not Role.EXTERNAL_QUALITY_ASSURER or not user.is_active:
        return False
    if not submission.is_locked:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    AccessGrant.user_id == user.id,
                    AccessGrant.submission_id == submission.id,
                    AccessGrant.revoked_at.is_(None),
                    AccessGrant.expires_at > db.utcnow(),
                )
            )
        )
    )
