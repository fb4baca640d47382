"""Apprenticeship endpoints of the JSON API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.api import Id, bp, column_length, responses, spec, text, validated_body
from showcase.portfolios import services
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship, ApprenticeshipParty, PartyRole
from showcase.standards.models import Standard


class PersonOut(BaseModel):
    id: int
    name: str


class ApprenticeshipOut(BaseModel):
    id: int
    apprentice: PersonOut
    standard: str
    standard_title: str
    start_date: dt.date
    months_on_programme: int
    employer: str
    line_manager: PersonOut
    provider: str
    tutor: PersonOut
    planned_end_date: dt.date | None = None
    planned_otj_hours: int | None = None


class ApprenticeshipList(BaseModel):
    items: list[ApprenticeshipOut]


#: A standard's key, "CODE/VERSION".
StandardKey = text(column_length(Standard.code) + 1 + column_length(Standard.version))


class ApprenticeshipIn(BaseModel):
    apprentice_id: Id
    standard: StandardKey  # e.g. "ST0072/AP02"
    start_date: dt.date
    line_manager_id: Id
    tutor_id: Id
    #: The end of the practical period; at least the funding rules' minimum duration away.
    planned_end_date: dt.date | None = None
    planned_otj_hours: Annotated[int, Field(ge=0, le=100_000)] | None = None


def serialise(item: Apprenticeship) -> ApprenticeshipOut:
    return ApprenticeshipOut(
        id=item.id,
        apprentice=PersonOut(id=item.apprentice.id, name=item.apprentice.name),
        standard=item.standard.key,
        standard_title=item.standard.title,
        start_date=item.start_date,
        months_on_programme=item.months_on_programme(dt.date.today()),
        employer=item.employer.name,
        line_manager=PersonOut(id=item.line_manager.id, name=item.line_manager.name),
        provider=item.provider.name,
        tutor=PersonOut(id=item.tutor.id, name=item.tutor.name),
        planned_end_date=item.planned_end_date,
        planned_otj_hours=item.planned_otj_hours,
    )


@bp.get("/apprenticeships")
@spec.validate(resp=responses(HTTP_200=ApprenticeshipList), tags=["apprenticeships"])
def list_apprenticeships() -> ApprenticeshipList:
    """Every apprenticeship the caller is party to."""
    return ApprenticeshipList(
        items=[serialise(a) for a in services.list_apprenticeships(current_user)]
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>")
@spec.validate(resp=responses(HTTP_200=ApprenticeshipOut), tags=["apprenticeships"])
def get_apprenticeship(apprenticeship_id: int) -> ApprenticeshipOut:
    """One apprenticeship; 404 unless the caller is party to it."""
    return serialise(get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True))


@bp.post("/apprenticeships")
@spec.validate(
    json=ApprenticeshipIn,
    resp=responses(403, HTTP_201=ApprenticeshipOut),
    tags=["apprenticeships"],
)
def create_apprenticeship() -> tuple[ApprenticeshipOut, int]:
    """Enrol an apprentice (administrators of the employer or provider)."""
    json: ApprenticeshipIn = validated_body()
    code, _, version = json.standard.partition("/")
    # The service refuses a caller who may not enrol before it looks at any of the people.
    item = services.create_apprenticeship(
        current_user,
        apprentice=db.session.get(User, json.apprentice_id),
        standard=db.session.scalar(
            select(Standard).where(Standard.code == code, Standard.version == version)
        ),
        start_date=json.start_date,
        line_manager=db.session.get(User, json.line_manager_id),
        tutor=db.session.get(User, json.tutor_id),
        planned_end_date=json.planned_end_date,
        planned_otj_hours=json.planned_otj_hours,
    )
    return serialise(item), 201


class PartyOut(BaseModel):
    #: None for a party recorded before the history was kept (enrolled outside the services).
    id: int | None
    role: PartyRole
    person: PersonOut
    started_at: dt.datetime
    #: None while the person still holds the role.
    ended_at: dt.datetime | None


class PartyList(BaseModel):
    items: list[PartyOut]


class PartyIn(BaseModel):
    role: PartyRole
    user_id: Id


def serialise_party(row: ApprenticeshipParty) -> PartyOut:
    return PartyOut(
        id=row.id,
        role=row.role,
        person=PersonOut(id=row.user.id, name=row.user.name),
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/parties")
@spec.validate(resp=responses(HTTP_200=PartyList), tags=["apprenticeships"])
def list_parties(apprenticeship_id: int) -> PartyList:
    """Every tutor and line manager the apprenticeship has had, from when to when."""
    item = get_apprenticeship_or_404(current_user, apprenticeship_id)
    return PartyList(items=[serialise_party(r) for r in services.party_history(item)])


@bp.post("/apprenticeships/<int:apprenticeship_id>/parties")
@spec.validate(json=PartyIn, resp=responses(403, HTTP_201=PartyOut), tags=["apprenticeships"])
def change_party(apprenticeship_id: int) -> tuple[PartyOut, int]:
    """Hand the tutor role (the provider's admins) or the line manager role (the employer's
    admins) to someone else; the previous holder's period ends now."""
    body: PartyIn = validated_body()
    item = get_apprenticeship_or_404(current_user, apprenticeship_id)
    row = services.change_party(current_user, item, body.role, db.session.get(User, body.user_id))
    return serialise_party(row), 201
