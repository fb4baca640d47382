"""Progress reviews at the standard's review points, their actions and sign-offs."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
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

    @property
    def icon(self) -> str:
        """Shown beside the label, so the outcome never depends on colour alone."""
        return {"done": "✓", "in_progress": "…", "not_done": "✗"}[self.value]


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
