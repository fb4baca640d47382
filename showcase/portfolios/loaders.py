"""Per-object loaders: 404 for anything the user may not see."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from showcase import db
from showcase.accounts.models import User
from showcase.errors import NotFound
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships


def get_apprenticeship_or_404(
    user: User, apprenticeship_id: int, *, parties: bool = False
) -> Apprenticeship:
    """The apprenticeship if ``user`` is party to it; otherwise NotFound (never 403: no leaks).

    The apprentice and the standard come with it (every page shows them); ``parties`` adds the
    employer, provider, line manager and tutor. Only pages that show those ask: each extra
    join costs PostgreSQL planning time on every request.
    """
    load = [joinedload(Apprenticeship.apprentice), joinedload(Apprenticeship.standard)]
    if parties:
        load += [
            joinedload(Apprenticeship.employer),
            joinedload(Apprenticeship.provider),
            joinedload(Apprenticeship.line_manager),
            joinedload(Apprenticeship.tutor),
        ]
    apprenticeship = db.session.scalar(
        select(Apprenticeship)
        .where(Apprenticeship.id == apprenticeship_id, visible_apprenticeships(user))
        .options(*load)
    )
    if apprenticeship is None:
        raise NotFound("No such apprenticeship, or it is not one you are party to.")
    return apprenticeship
