"""Who may record and sign progress reviews. Pure predicates."""

from __future__ import annotations

from showcase.accounts.models import User
from showcase.portfolios.models import Apprenticeship
from showcase.reviews.models import ProgressReview


def signer_role(user: User, apprenticeship: Apprenticeship) -> str | None:
    """Which signature slot is the user's on this apprenticeship (None: they do not sign)."""
    if user.id == apprenticeship.apprentice_id:
        return "apprentice"
    if user.id == apprenticeship.line_manager_id:
        return "employer"
    if user.id == apprenticeship.tutor_id:
        return "tutor"
    return None


def can_record_review(user: User, apprenticeship: Apprenticeship) -> bool:
    """The line manager and the tutor hold the review and record notes and actions."""
    return user.id in (apprenticeship.line_manager_id, apprenticeship.tutor_id)


def can_edit_review(user: User, review: ProgressReview) -> bool:
    """Recording is open until the review is fully signed."""
    return can_record_review(user, review.apprenticeship) and not review.is_frozen


def can_sign_review(
    user: User, apprenticeship: Apprenticeship, review: ProgressReview | None
) -> bool:
    """Each of the three parties signs once, before the review freezes."""
    role = signer_role(user, apprenticeship)
    if role is None or (review is not None and review.is_frozen):
        return False
    return review is None or review.signed_at(role) is None


def can_read_sensitive(user: User, apprenticeship: Apprenticeship) -> bool:
    """A sensitive section (wellbeing and support) is for the apprentice and the tutor only:
    not the line manager, not an admin, not an assessor or quality assurer."""
    return user.id in (apprenticeship.apprentice_id, apprenticeship.tutor_id)


def can_write_section(user: User, apprenticeship: Apprenticeship, writer: str) -> bool:
    """Each party writes their own sections (``writer`` is the template's: apprentice,
    employer or tutor); nobody writes a system section or somebody else's."""
    return writer != "system" and signer_role(user, apprenticeship) == writer


def can_schedule_review(user: User, apprenticeship: Apprenticeship) -> bool:
    """The tutor proposes the review's date and time, and moves it."""
    return user.id == apprenticeship.tutor_id
