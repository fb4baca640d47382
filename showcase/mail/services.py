"""``send_email`` and its backends, and ``queue_email`` in front of them.

``send_email`` sends at once: the outbox backend adds a row in the current transaction, SMTP
talks to the server. Code that acts on a change calls ``queue_email`` instead: it writes an
``EmailDelivery`` in the change's transaction and the ``deliver_email`` job
(``showcase.mail.jobs``) sends it after the commit, so no email goes out for a change that
rolled back, and none is lost when the mail server or the queue is down.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app
from sqlalchemy import select

from showcase import db
from showcase.errors import ShowcaseError
from showcase.mail.models import EmailDelivery, OutboxMessage

log = logging.getLogger(__name__)


class MailNotSent(ShowcaseError):
    """The mail server could not be reached or refused the message."""

    status_code = 503
    code = "mail_not_sent"


#: One attachment: {"filename", "content_type" ("text/calendar; method=REQUEST"…), "content"}.
Attachment = Mapping[str, str]


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None,
    headers: Mapping[str, str] | None,
    attachments: Sequence[Attachment] = (),
    message_id: str | None = None,
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
    # A stable id (one per delivery) lets mail clients drop the copy of a resent message.
    message["Message-ID"] = f"<{message_id}@{domain}>" if message_id else make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, rest = attachment["content_type"].partition("/")
        subtype, *params = (part.strip() for part in rest.split(";"))
        message.add_attachment(
            attachment["content"].encode(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
            params=dict(param.split("=", 1) for param in params if "=" in param),
        )
    return message


def _store_in_outbox(
    message: EmailMessage, text: str, html: str | None, extra: dict, attachments: list
) -> None:
    db.session.add(
        OutboxMessage(
            to=str(message["To"]),
            from_address=str(message["From"]),
            subject=str(message["Subject"]),
            text=text,
            html=html,
            headers=extra,
            attachments=attachments or None,
        )
    )
    db.session.flush()


def _send_over_smtp(
    message: EmailMessage, text: str, html: str | None, extra: dict, attachments: list
) -> None:
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


BACKENDS: dict[str, Callable[[EmailMessage, str, str | None, dict, list], None]] = {
    "outbox": _store_in_outbox,
    "smtp": _send_over_smtp,
}


def send_email(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    message_id: str | None = None,
) -> None:
    """Send one message to one address now, with the configured backend (MAIL_BACKEND)."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend not in BACKENDS:
        raise RuntimeError(f"MAIL_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}.")
    message = build_message(to, subject, text, html, headers, attachments, message_id)
    BACKENDS[backend](message, text, html, dict(headers or {}), [dict(a) for a in attachments])


def queue_email(
    key: str,
    to: str,
    subject: str,
    text: str,
    *,
    reason: str,
    recipient_id: int | None = None,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    sensitive: bool = False,
) -> EmailDelivery:
    """Write the email in the current transaction; it is sent by a job after the commit.

    ``key`` names what it is for and is unique: the caller checks ``find_delivery(key)`` first
    where it may run twice (a retried digest run).
    """
    from showcase import jobs
    from showcase.mail.jobs import deliver_email

    build_message(to, subject, text, html, headers, attachments)  # refuse bad headers now
    delivery = EmailDelivery(
        key=key,
        recipient_id=recipient_id,
        to_address=to,
        reason=reason,
        subject=subject,
        text=text,
        html=html,
        headers=dict(headers or {}),
        attachments=[dict(a) for a in attachments],
        sensitive=sensitive,
    )
    db.session.add(delivery)
    db.session.flush()
    jobs.enqueue(deliver_email, delivery.id)
    return delivery


def find_delivery(key: str) -> EmailDelivery | None:
    return db.session.scalar(select(EmailDelivery).where(EmailDelivery.key == key))
