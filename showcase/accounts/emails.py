"""The account emails: invitation and password reset. Each says why it was sent and carries
only the link and what the person needs to act on it (no name, role or other personal data).

They are queued (``queue_email``): written in the transaction that issues the link and sent by
a job after it commits, so a link that rolled back is never emailed and a mail server that is
down delays the email rather than failing the admin's request. The body holds the link, which
is stored nowhere else in clear, so the queued copy is erased once sent (``sensitive``).
"""

from __future__ import annotations

import hashlib

from flask import render_template

from showcase.accounts.models import User
from showcase.links import external_url
from showcase.mail import queue_email

#: RFC 3834: tells mail servers and autoresponders that no person wrote this.
_AUTOMATIC = {"Auto-Submitted": "auto-generated"}


def send_invitation(user: User, token: str, *, ttl_hours: int) -> None:
    """Email ``user`` the link that lets them choose their first password."""
    organisation = user.organisation.name if user.organisation else None
    text = render_template(
        "mail/invitation.txt",
        link=external_url("accounts.accept_invitation", token=token),
        organisation=organisation,
        ttl_hours=ttl_hours,
    )
    queue_email(
        _key("invitation", token),
        user.email,
        "You are invited to Showcase",
        text,
        reason="invitation",
        recipient_id=user.id,
        headers={**_AUTOMATIC, "X-Showcase-Reason": "invitation"},
        sensitive=True,
    )


def send_password_reset(user: User, token: str, *, ttl_hours: int, forced: bool) -> None:
    """Email ``user`` a reset link: asked for by someone, or ``forced`` by an administrator."""
    text = render_template(
        "mail/password_reset_forced.txt" if forced else "mail/password_reset.txt",
        link=external_url("accounts.reset_password", token=token),
        ttl_hours=ttl_hours,
    )
    queue_email(
        _key("password_reset", token),
        user.email,
        "Choose a new Showcase password" if forced else "Reset your Showcase password",
        text,
        reason="password_reset",
        recipient_id=user.id,
        headers={**_AUTOMATIC, "X-Showcase-Reason": "password-reset"},
        sensitive=True,
    )


def _key(reason: str, token: str) -> str:
    # One delivery per link; the token's hash (as the invitations table keeps it), never the token.
    return f"{reason}:{hashlib.sha256(token.encode()).hexdigest()[:64]}"
