"""Making notifications, reading and marking them, email choices and unsubscribing.

``notify`` is called in the transaction of the change it is about (from the audit subscriber
in ``events``, or a scheduled job): the notification row, and for an "immediately" choice its
email, commit or roll back with that change; the email is sent by a job after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import current_app, render_template
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from showcase import db
from showcase.accounts.models import User
from showcase.errors import NotFound
from showcase.links import external_url
from showcase.mail import queue_email
from showcase.mail.services import Attachment
from showcase.notifications.models import (
    KINDS,
    EmailMode,
    Kind,
    Notification,
    NotificationPreference,
)

log = logging.getLogger(__name__)

#: The unsubscribe scope of a digest email: every kind the person gets in digests.
DIGEST = "digest"
#: How many notifications the list shows.
LIST_SIZE = 50
#: RFC 3834: no person wrote this; autoresponders should not answer.
_AUTOMATIC = {"Auto-Submitted": "auto-generated"}


# ---- choices -------------------------------------------------------------------------------


def preferences(user: User) -> dict[Kind, EmailMode]:
    """``user``'s choice for every kind (the kind's default where they made none)."""
    chosen = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.mode).where(
                NotificationPreference.user_id == user.id
            )
        ).all()
    )
    return {kind: chosen.get(kind, info.default) for kind, info in KINDS.items()}


def set_preferences(user: User, modes: Mapping[Kind, EmailMode]) -> None:
    """Record ``user``'s choices (only those given)."""
    existing = {
        p.kind: p
        for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for kind, mode in modes.items():
        if kind in existing:
            existing[kind].mode = mode
        else:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, mode=mode))
    db.session.flush()


def mode_for(user: User, kind: Kind) -> EmailMode:
    chosen = db.session.scalar(
        select(NotificationPreference.mode).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return chosen or KINDS[kind].default


# ---- making them ---------------------------------------------------------------------------


def notify(
    recipient: User,
    kind: Kind,
    subject: str,
    link: str,
    *,
    apprenticeship_id: int | None = None,
    key: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> Notification | None:
    """Tell ``recipient`` (and email them if they chose "immediately"). Nothing when they are
    not active, when ``key`` was used before, or when the same news (kind, subject and link)
    is still unread: a review signed by two people waits for the third once."""
    if not recipient.is_active:
        return None
    if key is not None:
        if db.session.scalar(select(Notification.id).where(Notification.key == key)):
            return None
    elif db.session.scalar(
        select(Notification.id).where(
            Notification.recipient_id == recipient.id,
            Notification.kind == kind,
            Notification.link == link,
            Notification.subject == subject[:200],
            Notification.read_at.is_(None),
        )
    ):
        return None  # they have not read the last one yet: one is enough
    mode = mode_for(recipient, kind)
    notification = Notification(
        recipient=recipient,
        kind=kind,
        subject=subject[:200],
        link=link,
        apprenticeship_id=apprenticeship_id,
        email_mode=mode,
        key=key,
    )
    db.session.add(notification)
    db.session.flush()
    if mode is EmailMode.IMMEDIATELY:
        delivery = queue_email(
            f"notification:{notification.id}",
            recipient.email,
            notification.subject,
            render_template(
                "notifications/email.txt",
                notification=notification,
                info=KINDS[kind],
                mode=mode,
                link=absolute(notification.link),
                settings_url=external_url("notifications.settings"),
                unsubscribe_url=unsubscribe_url(recipient.id, kind.value),
            ),
            reason=kind.value,
            recipient_id=recipient.id,
            headers=email_headers(recipient.id, kind.value),
            attachments=attachments,
        )
        notification.email_delivery_id = delivery.id
        db.session.flush()
    return notification


def absolute(path: str) -> str:
    """A site path as an absolute link under BASE_URL."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def email_headers(user_id: int, scope: str) -> dict[str, str]:
    """Why it was sent, and RFC 2369 / RFC 8058 one-click unsubscribe."""
    return {
        **_AUTOMATIC,
        "X-Showcase-Reason": scope,
        "List-Unsubscribe": f"<{unsubscribe_url(user_id, scope)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


# ---- the digest ----------------------------------------------------------------------------


def digest_key(user_id: int, day: dt.date) -> str:
    return f"digest:{user_id}:{day.isoformat()}"


def queue_digest(recipient: User, notifications: list[Notification], day: dt.date) -> None:
    """One email listing ``notifications`` grouped by kind; each is marked as carried by it."""
    groups: dict[Kind, list[Notification]] = {}
    for notification in notifications:
        groups.setdefault(notification.kind, []).append(notification)
    count = len(notifications)
    delivery = queue_email(
        digest_key(recipient.id, day),
        recipient.email,
        f"Your Showcase digest: {count} notification{'' if count == 1 else 's'}",
        render_template(
            "notifications/digest.txt",
            day=day,
            count=count,
            groups=[(KINDS[kind], items) for kind, items in groups.items()],
            absolute=absolute,
            settings_url=external_url("notifications.settings"),
            unsubscribe_url=unsubscribe_url(recipient.id, DIGEST),
        ),
        reason=DIGEST,
        recipient_id=recipient.id,
        headers=email_headers(recipient.id, DIGEST),
    )
    for notification in notifications:
        notification.email_delivery_id = delivery.id
    db.session.flush()


# ---- reading them --------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
    )


def list_notifications(user: User, limit: int = LIST_SIZE) -> list[Notification]:
    """``user``'s newest notifications."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.recipient_id == user.id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read (someone else's is not found)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != user.id:
        raise NotFound("There is no such notification.")
    if notification.read_at is None:
        notification.read_at = db.utcnow()
        db.session.flush()
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of ``user`` read; how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=db.utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def navigation_context() -> dict[str, Callable[[], Any]]:
    """``unread_notifications()`` for base.html: one COUNT, only for a signed-in person and
    only when the page's navigation asks for it."""

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            return unread_count(current_user)
        except SQLAlchemyError:
            # A badge is not worth a failed page (error pages render this header too).
            log.warning("unread notification count failed", exc_info=True)
            return 0

    return {"unread_notifications": unread_notifications}


# ---- unsubscribing -------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="showcase.unsubscribe")


def unsubscribe_url(user_id: int, scope: str) -> str:
    """A link that works without signing in: signed, so it names one person and one scope
    (a kind, or ``DIGEST``) and cannot be forged or changed into another."""
    token = _serializer().dumps([user_id, scope])
    return external_url("notifications.unsubscribe", token=token)


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """The person and scope of an unsubscribe link; NotFound when it is not one of ours."""
    try:
        user_id, scope = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("This unsubscribe link is not valid.") from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or (scope != DIGEST and scope not in Kind.__members__.values()):
        raise NotFound("This unsubscribe link is not valid.")
    return user, scope


def scope_label(scope: str) -> str:
    return "the daily digest" if scope == DIGEST else f"“{KINDS[Kind(scope)].label}”"


def unsubscribe(user: User, scope: str) -> None:
    """Stop the emails of one kind, or (``DIGEST``) every kind ``user`` gets in digests.
    The notifications still appear in the app."""
    if scope == DIGEST:
        chosen = preferences(user)
        set_preferences(
            user, {k: EmailMode.OFF for k, m in chosen.items() if m is EmailMode.DIGEST}
        )
    else:
        set_preferences(user, {Kind(scope): EmailMode.OFF})
