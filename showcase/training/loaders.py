"""Per-object loaders: a log entry is visible when its apprenticeship is (404 otherwise)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from showcase import db
from showcase.accounts.models import User
from showcase.errors import NotFound
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.training.models import TrainingEntry


def get_entry_or_404(user: User, entry_id: int) -> TrainingEntry:
    """The entry if ``user`` is party to its apprenticeship; otherwise NotFound."""
    entry = db.session.scalar(
        select(TrainingEntry)
        .join(Apprenticeship, TrainingEntry.apprenticeship_id == Apprenticeship.id)
        .where(TrainingEntry.id == entry_id, visible_apprenticeships(user))
        .options(
            joinedload(TrainingEntry.apprenticeship).joinedload(Apprenticeship.standard),
            joinedload(TrainingEntry.apprenticeship).joinedload(Apprenticeship.apprentice),
        )
    )
    if entry is None:
        raise NotFound("No such training entry, or it is not in a portfolio you are party to.")
    return entry
