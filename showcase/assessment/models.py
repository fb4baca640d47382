"""An assessment of one locked submission by one independent assessor."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import User
from showcase.db import Base, str_enum, utcnow
from showcase.standards.models import StandardReference
from showcase.submissions.models import Submission


class AssessmentStatus(enum.StrEnum):
    ASSIGNED = "assigned"
    GRADED = "graded"
    #: A quality assurer disagreed: the assessor reviews the decision again.
    SECOND_REVIEW = "second_review"
    #: A quality assurer sampled the grade and agreed.
    ASSURED = "assured"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Assessment(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One assessment per submitted version.
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    assessor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[AssessmentStatus] = mapped_column(
        str_enum(AssessmentStatus, 30), default=AssessmentStatus.ASSIGNED
    )
    #: Working contexts that apply (e.g. face-to-face, non-facing); None means every criterion.
    contexts: Mapped[list | None] = mapped_column(JSON)
    #: The grading engine's result when the assessor confirmed it (grade and explanation).
    result: Mapped[dict | None] = mapped_column(JSON)
    final_grade: Mapped[str | None] = mapped_column(String(30))
    graded_at: Mapped[dt.datetime | None]

    submission: Mapped[Submission] = relationship()
    assessor: Mapped[User] = relationship(foreign_keys=[assessor_id])
    judgements: Mapped[list[Judgement]] = relationship(back_populates="assessment")
    records: Mapped[list[MethodRecord]] = relationship(back_populates="assessment")
    qa_decisions: Mapped[list[QADecision]] = relationship(
        back_populates="assessment", order_by="QADecision.id"
    )


class Judgement(Base):
    """The assessor's decision on one criterion: met or not met, with a comment."""

    __tablename__ = "judgements"
    __table_args__ = (UniqueConstraint("assessment_id", "reference_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    reference_id: Mapped[int] = mapped_column(ForeignKey("standard_references.id"))
    met: Mapped[bool]
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Optimistic concurrency: every save that changes the judgement adds one, and a save that
    #: names an older version (another tab saved meanwhile) is refused, never overwriting.
    version: Mapped[int] = mapped_column(default=1)

    assessment: Mapped[Assessment] = relationship(back_populates="judgements")
    reference: Mapped[StandardReference] = relationship()
    citations: Mapped[list[JudgementCitation]] = relationship(
        back_populates="judgement", cascade="all, delete-orphan", order_by="JudgementCitation.id"
    )


class JudgementCitation(Base):
    """An item of the locked showcase a judgement rests on, optionally a region of it (a time
    range of a recording, a page range of a PDF)."""

    __tablename__ = "judgement_citations"
    __table_args__ = (UniqueConstraint("judgement_id", "evidence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    judgement_id: Mapped[int] = mapped_column(
        ForeignKey("judgements.id", ondelete="CASCADE"), index=True
    )
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    #: "time" (whole seconds of a recording) or "pages" (of a PDF), as on a tag; None
    #: cites the whole item.
    region_kind: Mapped[str | None] = mapped_column(String(10))
    region_start: Mapped[int | None]
    region_end: Mapped[int | None]

    judgement: Mapped[Judgement] = relationship(back_populates="citations")


class MethodRecord(Base):
    """The record of a practical observation or professional discussion."""

    __tablename__ = "method_records"
    __table_args__ = (UniqueConstraint("assessment_id", "method_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    method_key: Mapped[str] = mapped_column(String(60))
    held_on: Mapped[dt.date]
    duration_minutes: Mapped[int]
    notes: Mapped[str] = mapped_column(Text)
    #: Module keys the observation covered (checked against the plan's mandatory areas).
    areas: Mapped[list] = mapped_column(JSON, default=list)

    assessment: Mapped[Assessment] = relationship(back_populates="records")


class QADecision(Base):
    """An internal quality assurer's sample of a graded assessment."""

    __tablename__ = "qa_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    quality_assurer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agrees: Mapped[bool]
    reasons: Mapped[str] = mapped_column(Text)
    #: The grade that was sampled (a later second review may change it).
    sampled_grade: Mapped[str] = mapped_column(String(30))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="qa_decisions")
    quality_assurer: Mapped[User] = relationship()
