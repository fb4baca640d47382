"""Account endpoints of the JSON API."""

from __future__ import annotations

from flask_login import current_user
from pydantic import BaseModel

from showcase.api import bp, responses, spec


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    organisation_id: int | None
    organisation_name: str | None


@bp.get("/me")
@spec.validate(resp=responses(HTTP_200=UserOut), tags=["accounts"])
def me() -> UserOut:
    """The user the token belongs to."""
    user = current_user
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role.value,
        organisation_id=user.organisation_id,
        organisation_name=user.organisation.name if user.organisation else None,
    )
