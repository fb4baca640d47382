"""Who has a marking queue, and whose tags are in it. Pure predicates and one SQL clause."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from showcase.accounts.models import Role, User
from showcase.portfolios.permissions import visible_apprenticeships


def can_mark(user: User) -> bool:
    """Only tutors have a marking queue (they are the ones who accept or send back tags)."""
    return user.role is Role.TUTOR


def marked_apprenticeships(tutor: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the apprenticeships whose tags are in ``tutor``'s queue: the
    ones they see, which for a tutor are exactly the ones they currently tutor."""
    return visible_apprenticeships(tutor)
