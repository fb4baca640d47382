"""Per-object loaders: 404 for anything the user may not see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from showcase import db
from showcase.accounts.models import User
from showcase.errors import NotFound
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships


def get_apprenticeship_or_404(user: User, apprenticeship_id: int) -> Apprenticeship:
    """The apprenticeship if ``user`` is party to it; otherwise NotFound (never 403: no leaks)."""
    apprenticeship = db.session.scalar(
        select(Apprenticeship)
        .where(Apprenticeship.id == apprenticeship_id, visible_apprenticeships(user))
        .options(
            joinedload(Apprenticeship.apprentice),
            joinedload(Apprenticeship.standard),
            joinedload(Apprenticeship.employer),
            joinedload(Apprenticeship.provider),
            joinedload(Apprenticeship.line_manager),
            joinedload(Apprenticeship.tutor),
        )
    )
    if apprenticeship is None:
        raise NotFound("No such apprenticeship, or it is not one you are party to.")
    return apprenticeship
