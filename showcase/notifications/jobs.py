"""Scheduled notification jobs: the daily digest and the review reminders.

Both are idempotent per day, so a retried or repeated run changes nothing: a digest is one
email per person per day (its delivery key names the day), and a reminder is one notification
per person per review point and kind (its notification key).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from showcase import db
from showcase.mail import find_delivery
from showcase.notifications import ics
from showcase.notifications.models import EmailMode, Kind, Notification
from showcase.notifications.services import absolute, digest_key, notify, queue_digest
from showcase.portfolios.models import Apprenticeship
from showcase.reviews.models import ProgressReview
from showcase.reviews.services import review_points

#: "Due soon" means within this many days.
DUE_SOON = dt.timedelta(days=7)


def send_digests(day: str | None = None) -> int:
    """Queue today's digest for everyone with digest notifications not yet emailed; how many.

    A notification made after today's digest of its person waits for tomorrow's.
    """
    today = dt.date.fromisoformat(day) if day else dt.date.today()
    waiting = db.session.scalars(
        select(Notification)
        .where(
            Notification.email_mode == EmailMode.DIGEST,
            Notification.email_delivery_id.is_(None),
        )
        .order_by(Notification.recipient_id, Notification.id)
        .options(joinedload(Notification.recipient))
    ).all()
    by_recipient: dict[int, list[Notification]] = defaultdict(list)
    for notification in waiting:
        by_recipient[notification.recipient_id].append(notification)
    sent = 0
    for recipient_id, notifications in by_recipient.items():
        recipient = notifications[0].recipient
        if not recipient.is_active or find_delivery(digest_key(recipient_id, today)):
            continue
        queue_digest(recipient, notifications, today)
        sent += 1
    return sent


def _due_calendar(apprenticeship_id: int, month: int, due: dt.date) -> list[dict[str, str]]:
    """An all-day calendar entry on the review's due date, for the three parties."""
    path = f"/apprenticeships/{apprenticeship_id}/reviews/{month}"
    return [
        {
            "filename": "progress-review-due.ics",
            "content_type": ics.CONTENT_TYPE,
            "content": ics.event(
                uid=f"review-due-{apprenticeship_id}-{month}@showcase",
                summary=f"{month}-month progress review due",
                start=due,
                description="The progress review falls due today. Open it in Showcase.",
                url=absolute(path),
            ),
        }
    ]


def send_reminders(day: str | None = None) -> int:
    """Tell the three parties of each unsigned review due within 7 days, and of each overdue
    one, once per review point and kind; how many notifications were made."""
    today = dt.date.fromisoformat(day) if day else dt.date.today()
    apprenticeships = db.session.scalars(
        select(Apprenticeship).options(
            joinedload(Apprenticeship.apprentice),
            joinedload(Apprenticeship.line_manager),
            joinedload(Apprenticeship.tutor),
            joinedload(Apprenticeship.standard),
        )
    ).all()
    reviews: dict[int, list[ProgressReview]] = defaultdict(list)
    for review in db.session.scalars(select(ProgressReview)):
        reviews[review.apprenticeship_id].append(review)
    made = 0
    for apprenticeship in apprenticeships:
        for point in review_points(apprenticeship, reviews[apprenticeship.id], today):
            if point.signed:
                continue
            if point.overdue:
                kind, subject, attachments = (
                    Kind.REVIEW_OVERDUE,
                    f"The {point.month}-month progress review is overdue",
                    [],
                )
            elif today < point.due <= today + DUE_SOON:
                kind, subject = (
                    Kind.REVIEW_DUE,
                    f"The {point.month}-month progress review is due on {point.due:%-d %B %Y}",
                )
                attachments = _due_calendar(apprenticeship.id, point.month, point.due)
            else:
                continue
            for person in (
                apprenticeship.apprentice,
                apprenticeship.line_manager,
                apprenticeship.tutor,
            ):
                made += (
                    notify(
                        person,
                        kind,
                        subject,
                        f"/apprenticeships/{apprenticeship.id}/reviews/{point.month}",
                        apprenticeship_id=apprenticeship.id,
                        key=f"{kind.value}:{apprenticeship.id}:{point.month}:{person.id}",
                        attachments=attachments,
                    )
                    is not None
                )
    return made
