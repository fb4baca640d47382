"""Who may manage organisations and people. Pure predicates, no queries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from showcase.accounts.models import Role

if TYPE_CHECKING:
    from showcase.accounts.models import Organisation, User


def can_create_organisations(user: User) -> bool:
    return user.is_platform_admin


def can_manage_organisation(user: User, organisation: Organisation) -> bool:
    """Platform admins manage every organisation; other admins only their own."""
    if user.role is not Role.ADMIN:
        return False
    return user.is_platform_admin or user.organisation_id == organisation.id


def can_manage_user(user: User, person: User) -> bool:
    """Admins manage the people of the organisations they manage; platform admins also the
    other platform admins (who belong to no organisation)."""
    if user.role is not Role.ADMIN:
        return False
    if person.organisation is None:
        return user.is_platform_admin
    return can_manage_organisation(user, person.organisation)
