"""Enrolling apprentices. Services take the acting user and only flush."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from showcase import db
from showcase.accounts.models import OrganisationKind, Role, User
from showcase.errors import Forbidden, ValidationFailed
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.standards.models import Standard


def create_apprenticeship(
    actor: User | None,
    *,
    apprentice: User,
    standard: Standard,
    start_date: dt.date,
    line_manager: User,
    tutor: User,
) -> Apprenticeship:
    """Enrol ``apprentice`` on ``standard``; the employer and provider follow from the people."""
    if apprentice.role is not Role.APPRENTICE:
        raise ValidationFailed(f"{apprentice.name} is not an apprentice.", field="apprentice")
    if line_manager.role is not Role.EMPLOYER_CONTACT:
        raise ValidationFailed(
            f"{line_manager.name} is not an employer contact.", field="line_manager"
        )
    if tutor.role is not Role.TUTOR:
        raise ValidationFailed(f"{tutor.name} is not a tutor.", field="tutor")
    employer, provider = line_manager.organisation, tutor.organisation
    if employer is None or employer.kind is not OrganisationKind.EMPLOYER:
        raise ValidationFailed("The line manager must belong to an employer.", field="line_manager")
    if apprentice.organisation_id != employer.id:
        raise ValidationFailed(
            "The apprentice and their line manager must work for the same employer.",
            field="line_manager",
        )
    if provider is None or provider.kind is not OrganisationKind.TRAINING_PROVIDER:
        raise ValidationFailed("The tutor must belong to a training provider.", field="tutor")
    if actor is not None:
        if actor.role is not Role.ADMIN:
            raise Forbidden("Only administrators enrol apprentices.")
        if not actor.is_platform_admin and actor.organisation_id not in (employer.id, provider.id):
            raise Forbidden("You can only enrol apprentices with your own organisation.")
    if start_date > dt.date.today() + dt.timedelta(days=366):
        raise ValidationFailed("The start date is more than a year away.", field="start_date")
    apprenticeship = Apprenticeship(
        apprentice=apprentice,
        standard=standard,
        start_date=start_date,
        employer=employer,
        line_manager=line_manager,
        provider=provider,
        tutor=tutor,
    )
    db.session.add(apprenticeship)
    db.session.flush()
    return apprenticeship


def list_apprenticeships(user: User) -> list[Apprenticeship]:
    """Every apprenticeship ``user`` may see, with people and standard loaded in one query."""
    from sqlalchemy.orm import joinedload

    stmt = (
        select(Apprenticeship)
        .where(visible_apprenticeships(user))
        .options(
            joinedload(Apprenticeship.apprentice),
            joinedload(Apprenticeship.line_manager),
            joinedload(Apprenticeship.tutor),
            joinedload(Apprenticeship.employer),
            joinedload(Apprenticeship.provider),
            joinedload(Apprenticeship.standard),
        )
        .order_by(Apprenticeship.start_date.desc(), Apprenticeship.id)
    )
    return list(db.session.scalars(stmt).unique())
