"""Apprenticeship endpoints of the JSON API."""

from __future__ import annotations

import datetime as dt

from flask import request
from flask_login import current_user
from pydantic import BaseModel
from spectree import Response

from showcase import db
from showcase.accounts.models import User
from showcase.api import bp, spec
from showcase.errors import ValidationFailed
from showcase.portfolios import services
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
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


class ApprenticeshipList(BaseModel):
    items: list[ApprenticeshipOut]


class ApprenticeshipIn(BaseModel):
    apprentice_id: int
    standard: str  # "CODE/VERSION", e.g. "ST0072/AP02"
    start_date: dt.date
    line_manager_id: int
    tutor_id: int


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
    )


@bp.get("/apprenticeships")
@spec.validate(resp=Response(HTTP_200=ApprenticeshipList), tags=["apprenticeships"])
def list_apprenticeships() -> ApprenticeshipList:
    """Every apprenticeship the caller is party to."""
    return ApprenticeshipList(
        items=[serialise(a) for a in services.list_apprenticeships(current_user)]
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>")
@spec.validate(resp=Response(HTTP_200=ApprenticeshipOut), tags=["apprenticeships"])
def get_apprenticeship(apprenticeship_id: int) -> ApprenticeshipOut:
    """One apprenticeship; 404 unless the caller is party to it."""
    return serialise(get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True))


def _user(user_id: int, field: str) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise ValidationFailed(f"No user with id {user_id}.", field=field)
    return user


@bp.post("/apprenticeships")
@spec.validate(
    json=ApprenticeshipIn, resp=Response(HTTP_201=ApprenticeshipOut), tags=["apprenticeships"]
)
def create_apprenticeship() -> tuple[ApprenticeshipOut, int]:
    """Enrol an apprentice (administrators of the employer or provider)."""
    json: ApprenticeshipIn = request.context.json  # type: ignore[attr-defined]
    code, _, version = json.standard.partition("/")
    standard = db.session.query(Standard).filter_by(code=code, version=version).one_or_none()
    if standard is None:
        raise ValidationFailed(f"No standard {json.standard!r} is imported.", field="standard")
    item = services.create_apprenticeship(
        current_user,
        apprentice=_user(json.apprentice_id, "apprentice_id"),
        standard=standard,
        start_date=json.start_date,
        line_manager=_user(json.line_manager_id, "line_manager_id"),
        tutor=_user(json.tutor_id, "tutor_id"),
    )
    db.session.commit()
    return serialise(item), 201
