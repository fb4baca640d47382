"""Account operations. Each takes the acting user and only flushes; the request commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from flask import current_app
from sqlalchemy import func, select, update

from showcase import db
from showcase.accounts import emails
from showcase.accounts.memberships import open_membership
from showcase.accounts.models import (
    ROLE_ORGANISATION_KINDS,
    ApiToken,
    Invitation,
    InvitationPurpose,
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
    can_manage_user,
)
from showcase.audit.services import record
from showcase.errors import Forbidden, NotFound, ValidationFailed
from showcase.mail import MailNotSent

log = logging.getLogger(__name__)

API_TOKEN_PREFIX = "scp_"  # noqa: S105 — a public marker, not a secret
#: A token's last use is written at most this often, not on every request.
TOKEN_LAST_USED_PRECISION = dt.timedelta(minutes=1)
#: One answer for every person an admin may not manage: not theirs, or no such person, or (for
#: re-invitations) someone who already has a password. Saying which would tell them who exists.
NO_SUCH_PERSON = "No such person among those you administer."
#: One answer for an email in use, in this organisation or another.
EMAIL_UNAVAILABLE = (
    "This email address cannot be used for a new account. If the person already uses "
    "Showcase, a platform administrator can help."
)


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
    record(actor, "organisation.created", org, kind=org.kind.value)
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
        # The same words whether the account is in this organisation or another one: an
        # organisation's admin is not told who has an account elsewhere.
        raise ValidationFailed(EMAIL_UNAVAILABLE, field="email")
    user = User(email=email, name=name.strip(), role=role, organisation=organisation)
    if password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    open_membership(user, organisation)
    record(
        actor,
        "user.created",
        user,
        role=role.value,
        organisation_id=organisation.id if organisation else None,
        password_set=password is not None,
    )
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password and end every existing session of the user."""
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise ValidationFailed(problem, field="password")
    user.password_hash = hash_password(password)
    user.must_reset_password = False
    user.session_token = new_session_token()


def change_password(user: User, *, current: str, new: str) -> None:
    """Change ``user``'s own password after checking the current one; ends their sessions."""
    if not verify_password(user.password_hash, current):
        raise ValidationFailed("That is not your current password.", field="current_password")
    set_password(user, new)
    db.session.flush()
    record(user, "password.changed", user)


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


def sign_out_everywhere(user: User, *, revoke_tokens: bool) -> int:
    """End every session of ``user`` and, if asked, revoke their API tokens; how many were."""
    end_all_sessions(user)
    revoked = revoke_all_api_tokens(user) if revoke_tokens else 0
    record(user, "sessions.ended", user, api_tokens_revoked=revoked)
    return revoked


def _cancel_open_invitations(user: User, now: dt.datetime) -> None:
    db.session.execute(
        update(Invitation)
        .where(
            Invitation.user_id == user.id,
            Invitation.used_at.is_(None),
            Invitation.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
    )


def issue_invitation(
    actor: User | None,
    user: User,
    *,
    ttl_hours: int,
    purpose: InvitationPurpose = InvitationPurpose.INVITATION,
    **details: object,
) -> str:
    """Open a new link for ``user`` (cancelling any earlier open one); return its token.

    Admins may invite only people of theirs who never set a password; people who have one reset
    it themselves, or an admin forces a reset (``purpose=PASSWORD_RESET``) that they complete.
    The CLI (``actor=None``) may issue either for anyone: it is the operators' recovery path.
    """
    if actor is not None and (
        not can_manage_user(actor, user)
        or (purpose is InvitationPurpose.INVITATION and user.password_hash is not None)
    ):
        raise NotFound(NO_SUCH_PERSON)
    db.lock_for_change(user)  # one issuer at a time per person
    now = db.utcnow()
    _cancel_open_invitations(user, now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        user=user,
        purpose=purpose,
        token_hash=_sha256(token),
        created_at=now,
        expires_at=now + dt.timedelta(hours=ttl_hours),
    )
    db.session.add(invitation)
    db.session.flush()
    record(actor, f"{purpose.value}.issued", user, invitation_id=invitation.id, **details)
    return token


def send_invitation(actor: User | None, user: User, *, ttl_hours: int) -> None:
    """Issue an invitation for ``user`` and email them its link."""
    token = issue_invitation(actor, user, ttl_hours=ttl_hours)
    emails.send_invitation(user, token, ttl_hours=ttl_hours)


def request_password_reset(email: str, *, ttl_hours: int) -> None:
    """Email a reset link if ``email`` is an active account; otherwise do nothing, silently.

    The caller answers the same either way, so nobody learns which addresses have accounts.
    """
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        return
    token = issue_invitation(
        None, user, ttl_hours=ttl_hours, purpose=InvitationPurpose.PASSWORD_RESET, by="self"
    )
    try:
        emails.send_password_reset(user, token, ttl_hours=ttl_hours, forced=False)
    except MailNotSent:
        # Answering 503 here and 200 for unknown addresses would tell them apart.
        log.exception("Password reset email for user %s not sent", user.id)


def force_password_reset(actor: User, user: User, *, ttl_hours: int) -> None:
    """Make ``user`` choose a new password: the old one stops working, every session ends, and
    they are emailed a reset link (the admin never sees it)."""
    if not can_manage_user(actor, user) or user.password_hash is None:
        raise NotFound(NO_SUCH_PERSON)
    user.must_reset_password = True
    end_all_sessions(user)
    token = issue_invitation(
        actor, user, ttl_hours=ttl_hours, purpose=InvitationPurpose.PASSWORD_RESET, by="admin"
    )
    emails.send_password_reset(user, token, ttl_hours=ttl_hours, forced=True)


def find_invitation(token: str, purpose: InvitationPurpose | None = None) -> Invitation:
    """The usable invitation for ``token``; explains an expired, used or replaced one."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _sha256(token))
    )
    if invitation is None or (purpose is not None and invitation.purpose is not purpose):
        raise NotFound("This link is not valid. Ask for a new one.")
    _check_usable(invitation)
    return invitation


def _check_usable(invitation: Invitation) -> None:
    if invitation.used_at is not None:
        raise ValidationFailed(
            "This link has already been used. Sign in with your password, "
            "or choose 'Forgot your password?' on the sign-in page."
        )
    if invitation.cancelled_at is not None:
        raise ValidationFailed(
            "This link no longer works: a newer one was sent, or another was used first. "
            "Use the link in the most recent email, or ask for a new one."
        )
    if invitation.expires_at <= db.utcnow():
        raise ValidationFailed("This link has expired. Ask for a new one.")
    if not invitation.user.is_active:
        raise NotFound("This link is not valid. Ask for a new one.")


def accept_invitation(
    token: str,
    password: str,
    *,
    purpose: InvitationPurpose | None = None,
    revoke_tokens: bool = False,
) -> User:
    """Set the person's password, spend the link and cancel their other open links."""
    invitation = find_invitation(token, purpose)
    user = invitation.user
    # Two links of one person used at the same moment: the second waits here, then finds its
    # link cancelled by the first.
    db.lock_for_change(user)
    db.session.refresh(invitation)
    _check_usable(invitation)
    set_password(user, password)
    now = db.utcnow()
    invitation.used_at = now
    db.session.flush()
    _cancel_open_invitations(user, now)
    revoked = revoke_all_api_tokens(user) if revoke_tokens else 0
    action = (
        "invitation.accepted"
        if invitation.purpose is InvitationPurpose.INVITATION
        else "password_reset.completed"
    )
    record(user, action, user, invitation_id=invitation.id, api_tokens_revoked=revoked)
    return user


def create_api_token(user: User, *, name: str, ttl_days: int | None = None) -> tuple[ApiToken, str]:
    """Create a personal access token; the plain token is returned once and never stored."""
    if not name.strip():
        raise ValidationFailed("Name the token so you can recognise it later.", field="name")
    if ttl_days is None:
        ttl_days = current_app.config["API_TOKEN_TTL_DAYS"]
    plain = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = db.utcnow()
    token = ApiToken(
        user=user,
        name=name.strip(),
        prefix=plain[:10],
        token_hash=_sha256(plain),
        created_at=now,
        expires_at=now + dt.timedelta(days=ttl_days),
    )
    db.session.add(token)
    db.session.flush()
    record(user, "api_token.created", token, user_id=user.id, expires_at=token.expires_at)
    return token, plain


def revoke_api_token(user: User, token_id: int) -> None:
    """Revoke one of ``user``'s own tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = db.utcnow()
        db.session.flush()
        record(user, "api_token.revoked", token, user_id=user.id)


def revoke_all_api_tokens(user: User) -> int:
    """Revoke every live token of ``user``; how many there were."""
    now = db.utcnow()
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    db.session.flush()
    return len(tokens)


def user_for_api_token(plain: str) -> User | None:
    """The active user owning an unrevoked, unexpired token, or None; stamps its last use.

    The check and the stamp run in their own short transaction, before the request's session
    starts one: the stamp is kept even for requests that write nothing (GETs never commit),
    and on SQLite the request's own later write cannot find its snapshot outdated by it. The
    stamp is written at most once per TOKEN_LAST_USED_PRECISION, not on every request.
    """
    now = db.utcnow()
    with db.get_database().sessionmaker() as check, check.begin():
        token = check.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(plain)))
        if token is None or token.revoked_at is not None or token.expires_at <= now:
            return None
        user_id = token.user_id
        if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_PRECISION:
            token.last_used_at = now
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return user
