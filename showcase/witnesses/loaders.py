"""Per-object loaders: 404 for anything the user may not see (never 403: no leaks)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from showcase import db
from showcase.accounts.models import User
from showcase.errors import NotFound
from showcase.evidence.models import Evidence
from showcase.portfolios.models import Apprenticeship
from showcase.portfolios.permissions import visible_apprenticeships
from showcase.witnesses.models import WitnessRequest, WitnessSignature
from showcase.witnesses.permissions import can_see_witnesses


def get_register_apprenticeship_or_404(user: User, apprenticeship_id: int) -> Apprenticeship:
    """An apprenticeship whose witness register ``user`` may read."""
    apprenticeship = db.session.scalar(
        select(Apprenticeship)
        .where(Apprenticeship.id == apprenticeship_id)
        .options(joinedload(Apprenticeship.apprentice), joinedload(Apprenticeship.standard))
    )
    if apprenticeship is None or not can_see_witnesses(user, apprenticeship):
        raise NotFound("No such apprenticeship, or it is not one whose witnesses you may see.")
    return apprenticeship


def get_request_or_404(user: User, request_id: int) -> WitnessRequest:
    """A request of an apprenticeship the user is party to."""
    request = db.session.scalar(
        select(WitnessRequest)
        .join(Apprenticeship, WitnessRequest.apprenticeship_id == Apprenticeship.id)
        .where(WitnessRequest.id == request_id, visible_apprenticeships(user))
        .options(joinedload(WitnessRequest.apprenticeship).joinedload(Apprenticeship.apprentice))
    )
    if request is None:
        raise NotFound("No such witness request, or it is not in a portfolio you are party to.")
    return request


def get_signature_or_404(user: User, evidence_id: int) -> WitnessSignature:
    """The signature record of a witness statement (by its evidence item) the user may read."""
    signature = db.session.scalar(
        select(WitnessSignature)
        .join(Evidence, WitnessSignature.evidence_id == Evidence.id)
        .where(WitnessSignature.evidence_id == evidence_id, Evidence.deleted_at.is_(None))
        .options(
            joinedload(WitnessSignature.evidence).joinedload(Evidence.file),
            joinedload(WitnessSignature.request)
            .joinedload(WitnessRequest.apprenticeship)
            .joinedload(Apprenticeship.apprentice),
            joinedload(WitnessSignature.pdf_file),
        )
    )
    if signature is None or not can_see_witnesses(user, signature.request.apprenticeship):
        raise NotFound("No such signed witness statement, or it is not one you may see.")
    return signature
