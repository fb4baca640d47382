"""Enrolling apprentices. Services take the acting user and only flush."""

from __future__ import annotations

import datetime as dt

from blinker import signal
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import OrganisationKind, Role, User
from showcase.audit.services import record
from showcase.errors import Forbidden, ValidationFailed
from showcase.portfolios.models import Apprenticeship, ApprenticeshipParty, PartyRole, start_of
from showcase.portfolios.permissions import (
    can_change_party,
    can_choose_for_enrolment,
    can_enrol,
    visible_apprenticeships,
)
from showcase.standards.models import Standard

#: Sent with a new apprenticeship, its plan set, before it is saved: a receiver may refuse the
#: plan by raising (``showcase.training.services.check_plan``, the funding rules' minimum
#: duration), so enrolment needs no import of the domains above it.
PLAN_SET = "showcase.portfolios.plan-set"


def _chosen(actor: User | None, person: User | None, role: Role, field: str) -> User:
    """``person``, if ``actor`` may name them as ``role``. Anyone else (no such user, another
    role, another organisation's people) gets the same answer, so ids reveal nobody."""
    if person is not None and (
        can_choose_for_enrolment(actor, person, role) if actor is not None else person.role is role
    ):
        return person
    label = {Role.APPRENTICE: "apprentice", Role.EMPLOYER_CONTACT: "line manager"}
    raise Forbidden(
        f"You cannot enrol that {label.get(role, 'tutor')}: choose one the enrolment page offers.",
        field=field,
    )


def create_apprenticeship(
    actor: User | None,
    *,
    apprentice: User | None,
    standard: Standard | None,
    start_date: dt.date,
    line_manager: User | None,
    tutor: User | None,
    planned_end_date: dt.date | None = None,
    planned_otj_hours: int | None = None,
) -> Apprenticeship:
    """Enrol ``apprentice`` on ``standard``; the employer and provider follow from the people.

    The planned end date and off-the-job hours are checked against the funding rules by the
    receivers of the ``PLAN_SET`` signal (``showcase.training``, which sits above this package).

    ``None`` stands for a person or standard not found: refused like anyone ``actor`` may not
    choose, and only after ``actor`` is known to be allowed to enrol at all.
    """
    if actor is not None and not can_enrol(actor):
        raise Forbidden(
            "Only administrators of an employer or a training provider enrol apprentices."
        )
    apprentice = _chosen(actor, apprentice, Role.APPRENTICE, "apprentice")
    line_manager = _chosen(actor, line_manager, Role.EMPLOYER_CONTACT, "line_manager")
    tutor = _chosen(actor, tutor, Role.TUTOR, "tutor")
    if standard is None:
        raise ValidationFailed("No such standard is imported.", field="standard")
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
    if (
        actor is not None
        and not actor.is_platform_admin
        and actor.organisation_id not in (employer.id, provider.id)
    ):
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
        planned_end_date=planned_end_date,
        planned_otj_hours=planned_otj_hours,
    )
    # Refusals (a planned end date too soon for the minimum duration) raise from the receiver.
    signal(PLAN_SET).send(apprenticeship)
    db.session.add(apprenticeship)
    for role, person in ((PartyRole.TUTOR, tutor), (PartyRole.LINE_MANAGER, line_manager)):
        db.session.add(
            ApprenticeshipParty(
                apprenticeship=apprenticeship,
                user=person,
                role=role,
                started_at=start_of(start_date),
            )
        )
    db.session.flush()
    return apprenticeship


#: The role a new tutor or line manager must have, and the apprenticeship's organisation
#: they must belong to.
_PARTY_FITS = {
    PartyRole.TUTOR: (Role.TUTOR, "provider_id", "training provider"),
    PartyRole.LINE_MANAGER: (Role.EMPLOYER_CONTACT, "employer_id", "employer"),
}


def party_history(apprenticeship: Apprenticeship) -> list[ApprenticeshipParty]:
    """Every tutor and line manager the apprenticeship has had, oldest first.

    Apprenticeships enrolled outside the services have no recorded rows: their current parties
    are shown as holding the role since the start date (unsaved rows).
    """
    rows = list(
        db.session.scalars(
            select(ApprenticeshipParty)
            .where(ApprenticeshipParty.apprenticeship_id == apprenticeship.id)
            .order_by(ApprenticeshipParty.started_at, ApprenticeshipParty.id)
        )
    )
    for role in PartyRole:
        if not any(r.role is role and r.ended_at is None for r in rows):
            rows.append(_implicit_row(apprenticeship, role))
    return sorted(rows, key=lambda r: r.started_at)


def _implicit_row(apprenticeship: Apprenticeship, role: PartyRole) -> ApprenticeshipParty:
    return ApprenticeshipParty(
        apprenticeship_id=apprenticeship.id,
        user_id=getattr(apprenticeship, role.column),
        user=getattr(apprenticeship, role.value),
        role=role,
        started_at=start_of(apprenticeship.start_date),
        ended_at=None,
    )


def change_party(
    actor: User | None, apprenticeship: Apprenticeship, role: PartyRole, new_user: User | None
) -> ApprenticeshipParty:
    """Hand the apprenticeship's tutor or line manager role to ``new_user`` (audited).

    The current holder's row ends and a new one opens at the same moment (now, or the start
    date for an apprenticeship that has not started yet); ``Apprenticeship.tutor_id`` /
    ``line_manager_id`` follow. ``new_user`` None (no such id) is refused like anyone unsuitable.
    """
    role = PartyRole(role)
    if actor is not None and not can_change_party(actor, apprenticeship, role):
        raise Forbidden(
            f"Only administrators of the apprenticeship's {_PARTY_FITS[role][2]} "
            f"(or the platform) change its {role.label}."
        )
    # Lock before checking who holds the role now: two admins changing it at once would
    # otherwise both end the same row.
    db.lock_for_change(apprenticeship)
    wanted_role, org_column, org_label = _PARTY_FITS[role]
    if (
        new_user is None
        or new_user.role is not wanted_role
        or not new_user.is_active
        or new_user.organisation_id != getattr(apprenticeship, org_column)
    ):
        # One answer for every unsuitable id, naming nobody: ids must not reveal people.
        raise ValidationFailed(
            f"Choose an active {role.label} of the apprenticeship's {org_label}.",
            field=role.value,
        )
    previous_id = getattr(apprenticeship, role.column)
    if new_user.id == previous_id:
        raise ValidationFailed(f"{new_user.name} is already the {role.label}.", field=role.value)
    at = max(db.utcnow(), start_of(apprenticeship.start_date))
    current = db.session.scalar(
        select(ApprenticeshipParty).where(
            ApprenticeshipParty.apprenticeship_id == apprenticeship.id,
            ApprenticeshipParty.role == role,
            ApprenticeshipParty.ended_at.is_(None),
        )
    )
    if current is None:  # enrolled before the history was kept
        current = _implicit_row(apprenticeship, role)
        db.session.add(current)
    current.ended_at = at
    db.session.flush()  # end the old row before opening the new one (one current per role)
    row = ApprenticeshipParty(
        apprenticeship=apprenticeship, user=new_user, role=role, started_at=at
    )
    db.session.add(row)
    setattr(apprenticeship, role.value, new_user)
    db.session.flush()
    record(
        actor,
        "apprenticeship.party_changed",
        row,
        apprenticeship_id=apprenticeship.id,
        role=role.value,
        from_user_id=previous_id,
        to_user_id=new_user.id,
    )
    return row


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
