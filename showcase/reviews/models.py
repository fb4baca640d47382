"""Progress reviews at the standard's review points, their actions and sign-offs."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import User
from showcase.db import Base, str_enum, utcnow
from showcase.evidence.models import Evidence
from showcase.portfolios.models import Apprenticeship

#: The three people who sign a review, in the order the page shows them.
SIGNERS = ("apprentice", "employer", "tutor")
SIGNER_LABELS = {
    "apprentice": "Apprentice",
    "employer": "Employer contact (line manager)",
    "tutor": "Tutor",
}


class ProgressReview(Base):
    """One review point of one apprenticeship (3, 6, 9… months), made when first recorded."""

    __tablename__ = "progress_reviews"
    __table_args__ = (UniqueConstraint("apprenticeship_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE"), index=True
    )
    #: The review point, in months from the start date.
    month: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[dt.date]
    #: The day the review was held; coverage is shown as of the end of this day.
    held_on: Mapped[dt.date]
    notes: Mapped[str] = mapped_column(Text, default="")
    apprentice_signed_at: Mapped[dt.datetime | None]
    apprentice_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    employer_signed_at: Mapped[dt.datetime | None]
    employer_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    tutor_signed_at: Mapped[dt.datetime | None]
    tutor_signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Set when the last of the three signs; from then on nothing about the review changes.
    frozen_at: Mapped[dt.datetime | None]
    #: ``showcase.standards.sufficiency.snapshot()`` of coverage as of ``held_on``, once frozen.
    snapshot: Mapped[dict | None] = mapped_column(JSON)
    #: The "progress_review" evidence item the frozen review became.
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_items.id"))
    #: The meeting the tutor proposed (None until scheduled); ``schedule_changes`` keeps every
    #: proposal and change, with who made it, when and why.
    scheduled_at: Mapped[dt.datetime | None]
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    #: A place, or an online meeting link.
    location: Mapped[str] = mapped_column(String(500), default="")
    #: The calendar invitation's SEQUENCE: 0 when first proposed, one more at each change, so
    #: a calendar updates the event it holds (same UID) instead of adding another.
    schedule_sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    apprenticeship: Mapped[Apprenticeship] = relationship()
    evidence: Mapped[Evidence | None] = relationship()
    actions: Mapped[list[ReviewAction]] = relationship(
        back_populates="review", order_by="ReviewAction.id", cascade="all, delete-orphan"
    )
    #: What became of the previous review's actions, recorded at this one.
    followups: Mapped[list[ActionFollowUp]] = relationship(
        back_populates="review", order_by="ActionFollowUp.id", cascade="all, delete-orphan"
    )
    #: The written sections (and, once frozen, every section as it read when signed).
    sections: Mapped[list[ReviewSection]] = relationship(
        back_populates="review",
        order_by="[ReviewSection.position, ReviewSection.id]",
        cascade="all, delete-orphan",
    )
    schedule_changes: Mapped[list[ReviewScheduleChange]] = relationship(
        back_populates="review",
        order_by="ReviewScheduleChange.id",
        cascade="all, delete-orphan",
    )

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def signed_at(self, signer: str) -> dt.datetime | None:
        return getattr(self, f"{signer}_signed_at")


class ReviewAction(Base):
    """Something someone agreed to do by a date, recorded at a review."""

    __tablename__ = "progress_review_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("progress_reviews.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(500))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[dt.date]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    review: Mapped[ProgressReview] = relationship(back_populates="actions")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])


class ActionOutcome(enum.StrEnum):
    DONE = "done"
    IN_PROGRESS = "in_progress"
    NOT_DONE = "not_done"

    @property
    def label(self) -> str:
        return {"done": "Done", "in_progress": "Under way", "not_done": "Not done"}[self.value]


class ActionFollowUp(Base):
    """At a review, what became of an action agreed at the previous one.

    Recorded on the later review rather than on the action: the earlier review is frozen, and
    what it agreed must read the same for ever.
    """

    __tablename__ = "progress_review_followups"
    __table_args__ = (UniqueConstraint("review_id", "action_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("progress_reviews.id", ondelete="CASCADE"), index=True
    )
    action_id: Mapped[int] = mapped_column(ForeignKey("progress_review_actions.id"))
    outcome: Mapped[ActionOutcome] = mapped_column(str_enum(ActionOutcome, 20))
    note: Mapped[str] = mapped_column(String(1000), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    review: Mapped[ProgressReview] = relationship(back_populates="followups")
    action: Mapped[ReviewAction] = relationship()


class ReviewSection(Base):
    """One section of a review as its writer wrote it (or, for a system section, as Showcase
    filled it in when the review froze).

    Title, writer and the sensitive flag are copied from the provider's template when the row
    is written: a later change of the template never changes a signed review or who may read it.
    """

    __tablename__ = "progress_review_sections"
    __table_args__ = (UniqueConstraint("review_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("progress_reviews.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(40))
    #: The section's place in the template when written (the page's order once frozen).
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    #: apprentice, employer, tutor or system.
    writer: Mapped[str] = mapped_column(String(20))
    #: Seen only by the apprentice and the tutor; never exported or shown to anybody else.
    is_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    written_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    written_at: Mapped[dt.datetime | None]

    review: Mapped[ProgressReview] = relationship(back_populates="sections")
    written_by: Mapped[User | None] = relationship(foreign_keys=[written_by_id])


class ReviewScheduleChange(Base):
    """A proposal or change of a review's meeting: when, where, who changed it and why."""

    __tablename__ = "progress_review_schedule_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("progress_reviews.id", ondelete="CASCADE"), index=True
    )
    #: The invitation's SEQUENCE this change sent.
    sequence: Mapped[int] = mapped_column(Integer)
    scheduled_at: Mapped[dt.datetime]
    duration_minutes: Mapped[int] = mapped_column(Integer)
    location: Mapped[str] = mapped_column(String(500), default="")
    #: Why it moved (empty for the first proposal).
    reason: Mapped[str] = mapped_column(String(500), default="")
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    review: Mapped[ProgressReview] = relationship(back_populates="schedule_changes")
    changed_by: Mapped[User] = relationship()
