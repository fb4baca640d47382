"""Notifications, each person's email preference per kind, and the kinds themselves."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import User
from showcase.db import Base, str_enum, utcnow


class Kind(enum.StrEnum):
    TAG_SENT_BACK = "tag_sent_back"
    TAG_ACCEPTED = "tag_accepted"
    REVIEW_WAITING = "review_waiting"
    REVIEW_SIGNED = "review_signed"
    REVIEW_DUE = "review_due"
    REVIEW_OVERDUE = "review_overdue"
    GATEWAY_SIGNED_OFF = "gateway_signed_off"
    SHOWCASE_LOCKED = "showcase_locked"
    ASSESSOR_ASSIGNED = "assessor_assigned"
    GRADE_RELEASED = "grade_released"
    EVIDENCE_COMMENT = "evidence_comment"

    @property
    def info(self) -> KindInfo:
        return KINDS[self]


class EmailMode(enum.StrEnum):
    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    OFF = "off"

    @property
    def label(self) -> str:
        return {"immediately": "Email at once", "digest": "Daily digest", "off": "No email"}[
            self.value
        ]


@dataclass(frozen=True)
class KindInfo:
    label: str
    #: Completes "You get this email because …" (the email says why it was sent).
    because: str
    default: EmailMode


KINDS: dict[Kind, KindInfo] = {
    Kind.TAG_SENT_BACK: KindInfo(
        "A tag is sent back",
        "your tutor sent back one of your tags",
        EmailMode.IMMEDIATELY,
    ),
    Kind.TAG_ACCEPTED: KindInfo(
        "A tag is accepted", "your tutor accepted one of your tags", EmailMode.DIGEST
    ),
    Kind.REVIEW_WAITING: KindInfo(
        "A progress review waits for your signature",
        "you take part in a progress review that you have not signed yet",
        EmailMode.IMMEDIATELY,
    ),
    Kind.REVIEW_SIGNED: KindInfo(
        "A progress review is signed by everyone",
        "you take part in a progress review that everyone has now signed",
        EmailMode.DIGEST,
    ),
    Kind.REVIEW_DUE: KindInfo(
        "A progress review is due in 7 days",
        "you take part in a progress review that falls due within a week",
        EmailMode.IMMEDIATELY,
    ),
    Kind.REVIEW_OVERDUE: KindInfo(
        "A progress review is overdue",
        "you take part in a progress review that is past its due date and not yet signed",
        EmailMode.IMMEDIATELY,
    ),
    Kind.GATEWAY_SIGNED_OFF: KindInfo(
        "The gateway is signed off",
        "you are a party to an apprenticeship whose gateway was signed off",
        EmailMode.IMMEDIATELY,
    ),
    Kind.SHOWCASE_LOCKED: KindInfo(
        "A showcase is locked for assessment",
        "you are a party to an apprenticeship whose showcase was locked",
        EmailMode.IMMEDIATELY,
    ),
    Kind.ASSESSOR_ASSIGNED: KindInfo(
        "A showcase is assigned to you",
        "you were assigned as the independent assessor of a showcase",
        EmailMode.IMMEDIATELY,
    ),
    Kind.GRADE_RELEASED: KindInfo(
        "A grade is released",
        "you are a party to an apprenticeship whose end-point assessment was graded",
        EmailMode.IMMEDIATELY,
    ),
    Kind.EVIDENCE_COMMENT: KindInfo(
        "A comment on evidence",
        "you are a party to an apprenticeship where someone commented on an evidence item",
        EmailMode.DIGEST,
    ),
}


class Notification(Base):
    """Something one person is told, shown in their list until they mark it read."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The navigation's unread count and the list: one person's, unread first.
        Index("ix_notifications_recipient_id_read_at", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    #: One line, also the email's subject: no names or other personal data.
    subject: Mapped[str] = mapped_column(String(200))
    #: A path on this site (the email makes it absolute from BASE_URL).
    link: Mapped[str] = mapped_column(String(300))
    apprenticeship_id: Mapped[int | None] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]
    #: The person's choice for this kind when it was made: the digest takes only "digest" ones,
    #: so changing a setting later never mails old notifications.
    email_mode: Mapped[EmailMode] = mapped_column(str_enum(EmailMode, 20))
    #: The email that carried it (its own, or a digest); None while none has.
    email_delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_deliveries.id", ondelete="SET NULL"), index=True
    )
    #: Set for notifications a scheduled job makes (reminders): unique, so a run repeated the
    #: same day, or on the next, tells nobody twice.
    key: Mapped[str | None] = mapped_column(String(120), unique=True)

    recipient: Mapped[User] = relationship()


class NotificationPreference(Base):
    """One person's email choice for one kind (no row: the kind's default)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(str_enum(Kind))
    mode: Mapped[EmailMode] = mapped_column(str_enum(EmailMode, 20))
