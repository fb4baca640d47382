"""Who has a cohort dashboard. Pure predicates."""

from __future__ import annotations

from showcase.accounts.models import Role, User


def can_see_dashboard(user: User) -> bool:
    """Line managers, tutors and administrators have a cohort dashboard."""
    return user.role in (Role.EMPLOYER_CONTACT, Role.TUTOR, Role.ADMIN)
