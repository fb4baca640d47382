"""Off-the-job training: the apprentice's log entries, recognised prior learning and the
employer's under-delivery statements."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import User
from showcase.db import Base, str_enum, utcnow
from showcase.evidence.models import Evidence
from showcase.portfolios.models import Apprenticeship


class EntryStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        return {
            "submitted": "Waiting for the tutor",
            "approved": "Approved",
            "returned": "Returned",
        }[self.value]


class TrainingEntry(Base):
    """One off-the-job training activity, logged by the apprentice and approved by the tutor.

    Approved entries are frozen: they are what a funding audit counts.
    """

    __tablename__ = "training_entries"
    __table_args__ = (
        # The monthly check and the hours read approved entries of a set of apprenticeships.
        Index("ix_training_entries_apprenticeship_status", "apprenticeship_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE")
    )
    activity_date: Mapped[dt.date]
    #: Whole minutes (the form takes hours and minutes).
    minutes: Mapped[int] = mapped_column(Integer)
    #: A key of ``rules/activity_kinds.yaml`` (data, so not an enum).
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Refs of the standard version's units the activity relates to.
    unit_refs: Mapped[list] = mapped_column(JSON, default=list)
    #: An evidence item of the apprentice's own portfolio the activity produced, if any.
    evidence_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_items.id", ondelete="SET NULL")
    )
    status: Mapped[EntryStatus] = mapped_column(
        str_enum(EntryStatus, 20), default=EntryStatus.SUBMITTED
    )
    #: The tutor's comment when approving (optional) or returning (required).
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: When it was last sent to the tutor (first logged, or resubmitted after a return).
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    apprenticeship: Mapped[Apprenticeship] = relationship()
    evidence: Mapped[Evidence | None] = relationship()
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    @property
    def is_frozen(self) -> bool:
        return self.status is EntryStatus.APPROVED


class PriorLearning(Base):
    """Recognised prior learning: hours taken off the plan, with the reason."""

    __tablename__ = "training_prior_learning"

    id: Mapped[int] = mapped_column(primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE"), index=True
    )
    hours: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User] = relationship()


class UnderDeliveryStatement(Base):
    """The employer's signed statement that fewer off-the-job hours than planned (but at least
    the minimum) were delivered, with the figures as they stood when it was signed."""

    __tablename__ = "training_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE"), index=True
    )
    planned_minutes: Mapped[int] = mapped_column(Integer)
    delivered_minutes: Mapped[int] = mapped_column(Integer)
    #: The minimum the rules gave when signed (None: not recorded in the rules file).
    minimum_hours: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    signed_by: Mapped[User] = relationship()
