"""Who is party to an apprenticeship: one SQL clause that every loader and list uses."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from showcase.accounts.models import Role, User
from showcase.portfolios.models import Apprenticeship


def visible_apprenticeships(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting exactly the apprenticeships ``user`` may see."""
    clauses: list[ColumnElement[bool]] = []
    if user.role is Role.APPRENTICE:
        clauses.append(Apprenticeship.apprentice_id == user.id)
    elif user.role is Role.EMPLOYER_CONTACT:
        clauses.append(Apprenticeship.line_manager_id == user.id)
    elif user.role is Role.TUTOR:
        clauses.append(Apprenticeship.tutor_id == user.id)
    elif user.role is Role.ADMIN:
        if user.is_platform_admin:
            return true()
        clauses.append(Apprenticeship.employer_id == user.organisation_id)
        clauses.append(Apprenticeship.provider_id == user.organisation_id)
    return or_(*clauses) if clauses else false()


def can_manage_apprenticeship(user: User, apprenticeship: Apprenticeship) -> bool:
    """Admins of the employer or provider (or the platform) change enrolment details."""
    if user.role is not Role.ADMIN:
        return False
    return user.is_platform_admin or user.organisation_id in (
        apprenticeship.employer_id,
        apprenticeship.provider_id,
    )
