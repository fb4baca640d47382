"""Moving a person to another organisation: their membership history is kept, and a person who
still holds an apprenticeship role (apprentice, tutor, line manager) must hand it over first.
Services take the acting user and only flush."""

from __future__ import annotations

from sqlalchemy import or_, select

from showcase import db
from showcase.accounts.memberships import current_membership, open_membership
from showcase.accounts.models import (
    ROLE_ORGANISATION_KINDS,
    Organisation,
    OrganisationMembership,
    Role,
    User,
)
from showcase.audit.services import record
from showcase.errors import Forbidden, ValidationFailed
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import can_move_user


def move_user(
    actor: User | None, user: User, organisation: Organisation, *, role: Role | None = None
) -> OrganisationMembership:
    """End ``user``'s current membership and start one in ``organisation`` (audited).

    ``role`` is the person's role there; it is needed when their role does not fit the new
    organisation (a tutor who joins an assessment organisation becomes an assessor).
    """
    if actor is not None and not can_move_user(actor, user, organisation):
        raise Forbidden("Only administrators of both organisations (or the platform) move people.")
    db.lock_for_change(user)
    role = Role(role) if role is not None else user.role
    if organisation.id == user.organisation_id and role is user.role:
        raise ValidationFailed(f"{user.name} is already with {organisation.name}.", field="org")
    if organisation.kind not in ROLE_ORGANISATION_KINDS[role]:
        raise ValidationFailed(
            f"A {role.label.lower()} belongs to a "
            + " or ".join(k.label.lower() for k in ROLE_ORGANISATION_KINDS[role])
            + f", not to a {organisation.kind.label.lower()}; give their new role.",
            field="role",
        )
    _refuse_while_party(user)
    now = db.utcnow()
    previous = current_membership(user)
    if previous is not None:
        previous.ended_at = now
    elif user.organisation is not None:
        # People created before memberships were recorded: their past membership is known
        # from their account's creation.
        db.session.add(
            OrganisationMembership(
                user=user,
                organisation_id=user.organisation_id,
                role=user.role,
                started_at=user.created_at,
                ended_at=now,
            )
        )
    db.session.flush()  # end the old row before the new one (one current membership)
    from_id, from_role = user.organisation_id, user.role
    user.organisation = organisation
    user.role = role
    membership = open_membership(user, organisation, at=now)
    assert membership is not None
    record(
        actor,
        "user.moved",
        user,
        from_organisation_id=from_id,
        to_organisation_id=organisation.id,
        from_role=from_role.value,
        to_role=role.value,
    )
    return membership


def _refuse_while_party(user: User) -> None:
    """A current apprentice, tutor or line manager stays with their organisation until their
    apprenticeships are handed over: the apprenticeship's employer and provider follow them."""
    enrolled = db.session.scalars(
        select(Apprenticeship.id).where(Apprenticeship.apprentice_id == user.id)
    ).all()
    if enrolled:
        raise ValidationFailed(
            f"{user.name} is enrolled as an apprentice with their employer; "
            "an apprentice cannot move to another organisation while enrolled.",
            field="org",
        )
    count = len(
        db.session.scalars(
            select(Apprenticeship.id).where(
                or_(Apprenticeship.tutor_id == user.id, Apprenticeship.line_manager_id == user.id)
            )
        ).all()
    )
    if count:
        raise ValidationFailed(
            f"{user.name} is still the tutor or line manager of {count} apprenticeship"
            + ("s" if count != 1 else "")
            + "; hand those over first (the apprenticeship's tutor and line manager page, or "
            "`flask apprenticeships change`).",
            field="org",
        )
