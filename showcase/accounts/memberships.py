"""Organisation memberships as a history: joining, moving to another organisation, and who
belonged where when. Services take the acting user and only flush."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select

from showcase import db
from showcase.accounts.models import (
    ROLE_ORGANISATION_KINDS,
    Organisation,
    OrganisationMembership,
    Role,
    User,
    period_text,
)
from showcase.accounts.permissions import can_manage_organisation
from showcase.audit.services import record
from showcase.errors import Forbidden, ValidationFailed


def open_membership(
    user: User, organisation: Organisation | None, *, at: dt.datetime | None = None
) -> OrganisationMembership | None:
    """Record that ``user`` belongs to ``organisation`` from ``at`` (now); None for no org."""
    if organisation is None:
        return None
    membership = OrganisationMembership(
        user=user, organisation=organisation, role=user.role, started_at=at or db.utcnow()
    )
    db.session.add(membership)
    db.session.flush()
    return membership


def current_membership(user: User) -> OrganisationMembership | None:
    """The membership ``user`` holds now, if it was recorded."""
    return db.session.scalar(
        select(OrganisationMembership).where(
            OrganisationMembership.user_id == user.id, OrganisationMembership.ended_at.is_(None)
        )
    )


def can_move_user(actor: User, user: User, organisation: Organisation) -> bool:
    """Platform admins, or admins of both the person's organisation and the new one."""
    if actor.is_platform_admin:
        return True
    return (
        user.organisation is not None
        and can_manage_organisation(actor, user.organisation)
        and can_manage_organisation(actor, organisation)
    )


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
    # Imported here: portfolios builds on accounts, not the other way round; this one check
    # needs to know whether the person still holds an apprenticeship role.
    from showcase.portfolios.models import Apprenticeship

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


@dataclass(frozen=True)
class Stint:
    """A spell in an organisation, recorded or (for people created outside the services)
    inferred from the account."""

    organisation: Organisation
    role: Role
    started_at: dt.datetime
    ended_at: dt.datetime | None

    @property
    def period(self) -> str:
        return period_text(self.started_at, self.ended_at)


def memberships_during(
    user: User, organisation_ids: Iterable[int], since: dt.datetime
) -> list[Stint]:
    """``user``'s spells in any of ``organisation_ids`` that lasted past ``since``.

    People whose membership was never recorded count as members of their current
    organisation since their account was created.
    """
    ids = set(organisation_ids)
    rows = db.session.scalars(
        select(OrganisationMembership)
        .where(
            OrganisationMembership.user_id == user.id,
            OrganisationMembership.organisation_id.in_(ids),
            or_(
                OrganisationMembership.ended_at.is_(None),
                OrganisationMembership.ended_at > since,
            ),
        )
        .order_by(OrganisationMembership.started_at)
    )
    stints = [Stint(m.organisation, m.role, m.started_at, m.ended_at) for m in rows]
    if user.organisation is not None and user.organisation_id in ids:
        if current_membership(user) is None:
            stints.append(Stint(user.organisation, user.role, user.created_at, None))
    return stints


def history_of(user: User) -> list[OrganisationMembership]:
    """Every recorded membership of ``user``, oldest first."""
    return list(
        db.session.scalars(
            select(OrganisationMembership)
            .where(OrganisationMembership.user_id == user.id)
            .order_by(OrganisationMembership.started_at, OrganisationMembership.id)
        )
    )
