"""Who may export what: a showcase as for reading it, a subject-access export only for the
apprentice themself and platform administrators."""

from __future__ import annotations

from showcase.accounts.models import User
from showcase.portfolios.models import Apprenticeship
from showcase.submissions.models import Submission
from showcase.submissions.permissions import can_read_submission


def can_export_submission(user: User, submission: Submission) -> bool:
    """Anyone who may read the version, once it is locked (a draft has no manifest)."""
    return submission.is_locked and can_read_submission(user, submission)


def can_export_portfolio(user: User, apprenticeship: Apprenticeship) -> bool:
    """A subject-access export holds everything about one person: theirs to ask for, or a
    platform administrator's to answer a request with. Tutors, line managers and
    organisation admins read the portfolio in the app but do not take it all away."""
    return user.id == apprenticeship.apprentice_id or user.is_platform_admin
