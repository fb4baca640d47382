"""The jobs that send queued emails: ``deliver_email`` and the ``resend_unsent`` sweep.

Exactly-once is not on offer with SMTP: the server's "250 accepted" and our commit cannot be
one atomic step. The two orders each lose something:

- mark, commit, then send: a failure after the commit (server down, worker killed) leaves an
  email marked sent that never went. Lost mail, silently: the worse outcome.
- send, then mark and commit (what we do): a worker killed between the server's "250" and the
  commit sends that one email again on the retry. A duplicate, and only in that window.

So ``deliver_email`` sends, then sets ``sent_at`` in the transaction that commits, holding the
delivery's row lock throughout (PostgreSQL) so two runs of the same job (a retry and a sweep)
queue up and the second finds ``sent_at`` set. A failed send (the server is down or refuses)
records the attempt and raises, so RQ retries it with backoff; when the retries run out, the
sweep queues it again. Each delivery has a stable Message-ID, so even the rare duplicate is
recognisable as one by the recipient's mail client. With the outbox backend the send is a row
in the same transaction, so there it is exactly once.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import or_, select

from showcase import db, jobs
from showcase.mail.models import EmailDelivery
from showcase.mail.services import MailNotSent, send_email

#: A delivery not sent this long after its last attempt is queued again by the sweep (its job
#: was lost with Redis, failed in-process, or ran out of retries).
RESEND_AFTER = dt.timedelta(minutes=15)
#: What an erased body says (``EmailDelivery.sensitive``: it carried a sign-in link).
ERASED = "(erased once sent: it carried a sign-in link)"


def deliver_email(delivery_id: int) -> str:
    """Send one queued email unless it has been sent; mark it sent in the same transaction."""
    delivery = db.session.get(
        EmailDelivery, delivery_id, with_for_update=True, populate_existing=True
    )
    if delivery is None:
        return "gone"  # its change was undone after all (a savepoint) or it was removed
    if delivery.sent_at is not None:
        return "already sent"
    delivery.attempts += 1
    delivery.last_attempt_at = db.utcnow()
    try:
        send_email(
            delivery.to_address,
            delivery.subject,
            delivery.text,
            html=delivery.html,
            headers=delivery.headers,
            attachments=delivery.attachments,
            message_id=f"showcase.delivery.{delivery.id}.{delivery.created_at:%Y%m%d%H%M%S}",
        )
    except MailNotSent as error:
        delivery.last_error = str(error.__cause__ or error)[:300]
        db.session.commit()  # keep the attempt's record; nothing was sent
        raise
    delivery.sent_at = db.utcnow()
    delivery.last_error = None
    if delivery.sensitive:
        delivery.text, delivery.html = ERASED, None
    return "sent"


def resend_unsent() -> int:
    """Queue again every email still unsent a while after its last attempt; how many."""
    cutoff = db.utcnow() - RESEND_AFTER
    ids = db.session.scalars(
        select(EmailDelivery.id)
        .where(
            EmailDelivery.sent_at.is_(None),
            EmailDelivery.created_at < cutoff,
            or_(EmailDelivery.last_attempt_at.is_(None), EmailDelivery.last_attempt_at < cutoff),
        )
        .order_by(EmailDelivery.id)
    ).all()
    for delivery_id in ids:
        jobs.enqueue(deliver_email, delivery_id)
    if ids:
        current_app.logger.info("Queued %d unsent emails again", len(ids))
    return len(ids)
