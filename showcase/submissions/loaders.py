"""Per-object loader for submissions: 404 unless the user may read it."""

from __future__ import annotations

from showcase.accounts.models import User
from showcase.errors import NotFound
from showcase.submissions.models import Submission
from showcase.submissions.permissions import can_read_submission
from showcase.submissions.services import find_submission


def get_submission_or_404(user: User, submission_id: int) -> Submission:
    """The submission, if the user may read it; one answer for "missing" and "not yours"."""
    submission = find_submission(submission_id)
    if submission is None or not can_read_submission(user, submission):
        raise NotFound("No such showcase submission, or it is not yours to see.")
    return submission
