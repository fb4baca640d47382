"""Who is party to an apprenticeship. The SQL clause and the predicate must agree (tested)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from showcase.accounts.models import Role, User
from showcase.portfolios.models import Apprenticeship

#: Extra visibility clauses that later domains add (e.g. an assessor's assignments), so this
#: module need not import them. Each takes a user and returns a clause or None.
_extra_visibility: list = []


def register_visibility(fn) -> None:
    """Let a later domain widen who sees an apprenticeship (e.g. assigned assessors)."""
    _extra_visibility.append(fn)


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
    for extra in _extra_visibility:
        clause = extra(user)
        if clause is not None:
            clauses.append(clause)
    return or_(*clauses) if clauses else false()


def is_party(user: User, apprenticeship: Apprenticeship) -> bool:
    """True for the apprentice, their line manager and their tutor."""
    return user.id in (
        apprenticeship.apprentice_id,
        apprenticeship.line_manager_id,
        apprenticeship.tutor_id,
    )


def can_manage_apprenticeship(user: User, apprenticeship: Apprenticeship) -> bool:
    """Admins of the employer or provider (or the platform) change enrolment details."""
    if user.role is not Role.ADMIN:
        return False
    return user.is_platform_admin or user.organisation_id in (
        apprenticeship.employer_id,
        apprenticeship.provider_id,
    )


def can_create_apprenticeships(user: User) -> bool:
    return user.role is Role.ADMIN
