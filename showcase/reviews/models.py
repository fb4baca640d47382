"""Progress reviews at the standard's review points, their actions and sign-offs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import User
from showcase.db import Base, utcnow
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
    #: ``showcase.standards.coverage.snapshot()`` of coverage as of ``held_on``, once frozen.
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
