"""Account operations. Each takes the acting user explicitly and only flushes; views commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import func, select

from showcase import db
from showcase.accounts.models import (
    ROLE_ORGANISATION_KINDS,
    ApiToken,
    Invitation,
    Organisation,
    OrganisationKind,
    Role,
    User,
    new_session_token,
)
from showcase.accounts.passwords import hash_password, password_problem, verify_password
from showcase.accounts.permissions import (
    can_create_organisations,
    can_manage_organisation,
)
from showcase.errors import Forbidden, NotFound, ValidationFailed

API_TOKEN_PREFIX = "scp_"  # noqa: S105 — a public marker, not a secret


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively; store them lower-cased and trimmed."""
    return email.strip().lower()


def create_organisation(actor: User | None, *, name: str, kind: OrganisationKind) -> Organisation:
    """Create an organisation (platform admins, or the CLI with ``actor=None``)."""
    if actor is not None and not can_create_organisations(actor):
        raise Forbidden("Only platform administrators can create organisations.")
    name = name.strip()
    if not name:
        raise ValidationFailed("Give the organisation a name.", field="name")
    org = Organisation(name=name, kind=OrganisationKind(kind))
    db.session.add(org)
    db.session.flush()
    return org


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    role: Role,
    organisation: Organisation | None,
    password: str | None = None,
) -> User:
    """Create a user in ``organisation``; without a password they sign in through an invitation."""
    role = Role(role)
    if actor is not None and (
        organisation is None or not can_manage_organisation(actor, organisation)
    ):
        if not (actor.is_platform_admin and organisation is None and role is Role.ADMIN):
            raise Forbidden("You can only add people to organisations you administer.")
    email = normalise_email(email)
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise ValidationFailed("Enter a valid email address.", field="email")
    if not name.strip():
        raise ValidationFailed("Enter the person's name.", field="name")
    if organisation is None and role is not Role.ADMIN:
        raise ValidationFailed("Choose the person's organisation.", field="organisation")
    if organisation is not None and organisation.kind not in ROLE_ORGANISATION_KINDS[role]:
        raise ValidationFailed(
            f"A {role.label.lower()} belongs to a "
            + " or ".join(k.label.lower() for k in ROLE_ORGANISATION_KINDS[role])
            + f", not to a {organisation.kind.label.lower()}.",
            field="role",
        )
    exists = db.session.scalar(select(func.count()).select_from(User).where(User.email == email))
    if exists:
        raise ValidationFailed(f"There is already an account for {email}.", field="email")
    user = User(email=email, name=name.strip(), role=role, organisation=organisation)
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password and end every existing session of the user."""
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem, field="password")
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.is_active:
        return None
    user.last_sign_in_at = db.utcnow()
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie the user holds (sign-out)."""
    user.session_token = new_session_token()
    db.session.flush()


def issue_invitation(actor: User | None, user: User, *, ttl_hours: int) -> str:
    """Create an invitation for ``user`` and return the one-time token for its link."""
    if actor is not None and (
        user.organisation is None or not can_manage_organisation(actor, user.organisation)
    ):
        if not actor.is_platform_admin:
            raise Forbidden("You can only invite people in organisations you administer.")
    token = secrets.token_urlsafe(32)
    db.session.add(
        Invitation(
            user=user,
            token_hash=_sha256(token),
            expires_at=db.utcnow() + dt.timedelta(hours=ttl_hours),
        )
    )
    db.session.flush()
    return token


def find_invitation(token: str) -> Invitation:
    """The usable invitation for ``token``; explains an expired or used one."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _sha256(token))
    )
    if invitation is None:
        raise NotFound("This invitation link is not valid. Ask your administrator for a new one.")
    if invitation.used_at is not None:
        raise ValidationFailed("This invitation has already been used. Sign in with your password.")
    if invitation.expires_at <= db.utcnow():
        raise ValidationFailed("This invitation has expired. Ask your administrator for a new one.")
    return invitation


def accept_invitation(token: str, password: str) -> User:
    """Set the invited person's password and spend the invitation."""
    invitation = find_invitation(token)
    set_password(invitation.user, password)
    invitation.used_at = db.utcnow()
    db.session.flush()
    return invitation.user


def create_api_token(user: User, *, name: str) -> tuple[ApiToken, str]:
    """Create a personal access token; the plain token is returned once and never stored."""
    if not name.strip():
        raise ValidationFailed("Name the token so you can recognise it later.", field="name")
    plain = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), prefix=plain[:10], token_hash=_sha256(plain))
    db.session.add(token)
    db.session.flush()
    return token, plain


def revoke_api_token(user: User, token_id: int) -> None:
    """Revoke one of ``user``'s own tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    token.revoked_at = db.utcnow()
    db.session.flush()


def user_for_api_token(plain: str) -> User | None:
    """The active user owning an unrevoked token, or None."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(plain)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token.user
