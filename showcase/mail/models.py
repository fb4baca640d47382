"""The outbox (messages kept in the database instead of sent: the development default) and
the email deliveries waiting for, or done by, the ``deliver_email`` job."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from showcase.db import Base, utcnow


class OutboxMessage(Base):
    """One email the outbox backend kept, readable by platform admins at /admin/outbox."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: One recipient address.
    to: Mapped[str] = mapped_column("to_address", String(254), index=True)
    from_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    #: Extra headers (e.g. X-Showcase-Reason), as sent.
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: [{"filename", "content_type", "content"}] as sent (text attachments such as .ics).
    attachments: Mapped[list | None] = mapped_column(JSON)


class EmailDelivery(Base):
    """One email to send, written in the transaction of the change it is about (so it is sent
    only if that commits, and is never lost if a queue is), then sent by the ``deliver_email``
    job, which marks it sent in the transaction that records the send.

    ``key`` names what the email is for (``notification:12``, ``digest:5:2026-12-01``,
    ``invitation:7``): unique, so the same email is never queued twice.
    """

    __tablename__ = "email_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    #: The person it is for (kept for their notification settings; None if they are removed).
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    #: Why it is sent: a notification kind, "digest", "invitation", "password_reset".
    reason: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: [{"filename", "content_type", "content"}] (text attachments such as .ics).
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    #: The body carries a sign-in link: it is erased once the email has been sent.
    sensitive: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Set in the same transaction as the send is recorded; a job finding it set does nothing.
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
