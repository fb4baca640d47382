"""The account emails: invitation and password reset. Each says why it was sent and carries
only the link and what the person needs to act on it (no name, role or other personal data)."""

from __future__ import annotations

from flask import render_template

from showcase.accounts.models import User
from showcase.links import external_url
from showcase.mail import send_email

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
    send_email(
        user.email,
        "You are invited to Showcase",
        text,
        headers={**_AUTOMATIC, "X-Showcase-Reason": "invitation"},
    )


def send_password_reset(user: User, token: str, *, ttl_hours: int, forced: bool) -> None:
    """Email ``user`` a reset link: asked for by someone, or ``forced`` by an administrator."""
    text = render_template(
        "mail/password_reset_forced.txt" if forced else "mail/password_reset.txt",
        link=external_url("accounts.reset_password", token=token),
        ttl_hours=ttl_hours,
    )
    send_email(
        user.email,
        "Choose a new Showcase password" if forced else "Reset your Showcase password",
        text,
        headers={**_AUTOMATIC, "X-Showcase-Reason": "password-reset"},
    )
