"""Per-object loaders: 404 for anything the user may not administer (never 403: no leaks)."""

from __future__ import annotations

from showcase import db
from showcase.accounts.models import Organisation, User
from showcase.accounts.permissions import can_manage_organisation, can_manage_user
from showcase.accounts.services import NO_SUCH_PERSON
from showcase.errors import NotFound


def get_organisation_or_404(user: User, organisation_id: int) -> Organisation:
    """An organisation ``user`` administers; the same 404 whether it exists elsewhere or not."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or not can_manage_organisation(user, organisation):
        raise NotFound("No such organisation among those you administer.")
    return organisation


def get_managed_user_or_404(actor: User, user_id: int) -> User:
    """A person ``actor`` administers; the same 404 whether they exist elsewhere or not at all."""
    user = db.session.get(User, user_id)
    if user is None or not can_manage_user(actor, user):
        raise NotFound(NO_SUCH_PERSON)
    return user
