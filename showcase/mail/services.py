"""``send_email`` and its backends.

Synchronous for now, and everything goes through ``send_email`` so that a job queue can take
the sending over later without touching the callers. The outbox backend adds a row in the
current transaction (it commits or rolls back with the change that sent it); SMTP sends at
once, so a message can go out for a change that then rolls back — the queue will fix that by
sending after commit.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app

from showcase import db
from showcase.errors import ShowcaseError
from showcase.mail.models import OutboxMessage

log = logging.getLogger(__name__)


class MailNotSent(ShowcaseError):
    """The mail server could not be reached or refused the message."""

    status_code = 503
    code = "mail_not_sent"


def build_message(
    to: str, subject: str, text: str, html: str | None, headers: Mapping[str, str] | None
) -> EmailMessage:
    """The message as it would be sent; refuses header values with line breaks (injection)."""
    sender = current_app.config["SMTP_FROM"]
    message = EmailMessage(policy=SMTP)
    # The policy's header factory raises ValueError on CR or LF in any value.
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(db.utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _store_in_outbox(message: EmailMessage, text: str, html: str | None, extra: dict) -> None:
    db.session.add(
        OutboxMessage(
            to=str(message["To"]),
            from_address=str(message["From"]),
            subject=str(message["Subject"]),
            text=text,
            html=html,
            headers=extra,
        )
    )
    db.session.flush()


def _send_over_smtp(message: EmailMessage, text: str, html: str | None, extra: dict) -> None:
    config = current_app.config
    try:
        with smtplib.SMTP(
            config["SMTP_HOST"], int(config["SMTP_PORT"]), timeout=config["SMTP_TIMEOUT"]
        ) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        log.warning("Mail to the SMTP server %s failed: %s", config["SMTP_HOST"], error)
        raise MailNotSent(
            "The email could not be sent just now. Nothing was changed; please try again later."
        ) from error


BACKENDS: dict[str, Callable[[EmailMessage, str, str | None, dict], None]] = {
    "outbox": _store_in_outbox,
    "smtp": _send_over_smtp,
}


def send_email(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send one message to one address with the configured backend (MAIL_BACKEND)."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend not in BACKENDS:
        raise RuntimeError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}.")
    message = build_message(to, subject, text, html, headers)
    BACKENDS[backend](message, text, html, dict(headers or {}))
