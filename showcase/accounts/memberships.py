"""Organisation memberships as a history: joining, and who belonged where when. Moving a person
to another organisation depends on their apprenticeship roles, so it lives in
``showcase.portfolios.moves``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select

from showcase import db
from showcase.accounts.models import (
    Organisation,
    OrganisationMembership,
    Role,
    User,
    period_text,
)


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
