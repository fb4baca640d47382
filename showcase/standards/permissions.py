"""Who reads standards. Pure predicates."""

from __future__ import annotations

from showcase.accounts.models import User


def can_read_standards(user: User) -> bool:
    """Standards are published reference material: every signed-in user reads every one.

    Importing them is an operator's job (``flask standards import``), not a permission.
    """
    return user.is_authenticated


def can_manage_supplements(user: User) -> bool:
    """An assessment organisation's administrator imports that organisation's supplements."""
    from showcase.accounts.models import OrganisationKind, Role

    return (
        user.is_authenticated
        and user.role is Role.ADMIN
        and user.organisation is not None
        and user.organisation.kind is OrganisationKind.ASSESSMENT_ORGANISATION
    )
