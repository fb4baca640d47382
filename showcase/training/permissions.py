"""Who may log, approve and sign off-the-job training. Pure predicates."""

from __future__ import annotations

from showcase.accounts.models import User
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import can_manage_apprenticeship
from showcase.training.models import EntryStatus, TrainingEntry


def can_log_training(user: User, apprenticeship: Apprenticeship) -> bool:
    """The apprentice keeps their own log."""
    return user.id == apprenticeship.apprentice_id


def can_edit_entry(user: User, entry: TrainingEntry) -> bool:
    """The apprentice changes an entry until the tutor approves it (approved entries are
    frozen); changing a returned entry sends it back to the tutor."""
    return can_log_training(user, entry.apprenticeship) and entry.status is not EntryStatus.APPROVED


def can_review_training(user: User, apprenticeship: Apprenticeship) -> bool:
    """The tutor approves or returns entries."""
    return user.id == apprenticeship.tutor_id


def can_review_entry(user: User, entry: TrainingEntry) -> bool:
    return can_review_training(user, entry.apprenticeship) and entry.status is EntryStatus.SUBMITTED


def can_plan_training(user: User, apprenticeship: Apprenticeship) -> bool:
    """The employer's or provider's administrators set the planned hours and end date and
    record prior learning (as they manage the rest of the enrolment)."""
    return can_manage_apprenticeship(user, apprenticeship)


def can_sign_statement(user: User, apprenticeship: Apprenticeship) -> bool:
    """The employer signs the under-delivery statement: the apprentice's line manager."""
    return user.id == apprenticeship.line_manager_id
