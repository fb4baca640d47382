"""Who is party to an apprenticeship: one SQL clause that every loader and list uses."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from showcase.accounts.models import Organisation, OrganisationKind, Role, User
from showcase.accounts.permissions import can_manage_organisation
from showcase.portfolios.models import Apprenticeship, PartyRole


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


def can_enrol(user: User) -> bool:
    """Platform admins, and admins of an employer or a training provider, enrol apprentices."""
    if user.role is not Role.ADMIN:
        return False
    if user.is_platform_admin:
        return True
    return user.organisation is not None and user.organisation.kind in (
        OrganisationKind.EMPLOYER,
        OrganisationKind.TRAINING_PROVIDER,
    )


def can_change_party(user: User, apprenticeship: Apprenticeship, role: PartyRole) -> bool:
    """The provider's admins change the tutor, the employer's admins the line manager (and
    platform admins either): each chooses among their own people."""
    if user.role is not Role.ADMIN:
        return False
    owner = apprenticeship.provider_id if role is PartyRole.TUTOR else apprenticeship.employer_id
    return user.is_platform_admin or user.organisation_id == owner


#: Which side of an enrolment each person belongs to: the employer's or the provider's.
_ENROLMENT_SIDES = {
    Role.APPRENTICE: OrganisationKind.EMPLOYER,
    Role.EMPLOYER_CONTACT: OrganisationKind.EMPLOYER,
    Role.TUTOR: OrganisationKind.TRAINING_PROVIDER,
}


def can_choose_for_enrolment(admin: User, person: User, role: Role) -> bool:
    """Whether ``admin`` may name ``person`` as the enrolment's ``role``: an active person with
    that role, of the admin's own organisation on the admin's side of the enrolment, anyone
    with the role on the other side (the provider's tutor, the employer's people)."""
    if person.role is not role or not person.is_active:
        return False
    if admin.is_platform_admin or admin.organisation is None:
        return admin.is_platform_admin
    own_side = admin.organisation.kind is _ENROLMENT_SIDES[role]
    return not own_side or person.organisation_id == admin.organisation_id


def can_move_user(actor: User, user: User, organisation: Organisation) -> bool:
    """Platform admins, or admins of both the person's organisation and the new one."""
    if actor.is_platform_admin:
        return True
    return (
        user.organisation is not None
        and can_manage_organisation(actor, user.organisation)
        and can_manage_organisation(actor, organisation)
    )
