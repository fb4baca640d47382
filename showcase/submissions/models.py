"""Showcase submissions (versioned), their items, gateway sign-offs and gap acknowledgements."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import Organisation, User
from showcase.db import Base, str_enum, utcnow
from showcase.evidence.models import Evidence
from showcase.portfolios.models import Apprenticeship
from showcase.standards.models import StandardReference


class SubmissionStatus(enum.StrEnum):
    DRAFT = "draft"
    LOCKED = "locked"


class SignoffRole(enum.StrEnum):
    EMPLOYER = "employer"
    TRAINING_PROVIDER = "training_provider"


class Submission(Base):
    """One version of an apprentice's showcase. Locked versions never change."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("apprenticeship_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(ForeignKey("apprenticeships.id"), index=True)
    version: Mapped[int]
    status: Mapped[SubmissionStatus] = mapped_column(
        str_enum(SubmissionStatus, 20), default=SubmissionStatus.DRAFT
    )
    #: The apprentice's presentation summary.
    summary: Mapped[str] = mapped_column(Text, default="")
    #: The assessment organisation the showcase goes to.
    assessment_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_at: Mapped[dt.datetime | None]
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Canonical JSON of everything submitted; its SHA-256 is the fingerprint.
    manifest: Mapped[dict | None] = mapped_column(JSON)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))

    apprenticeship: Mapped[Apprenticeship] = relationship()
    assessment_organisation: Mapped[Organisation | None] = relationship()
    items: Mapped[list[SubmissionItem]] = relationship(
        back_populates="submission", order_by="SubmissionItem.position"
    )
    signoffs: Mapped[list[GatewaySignoff]] = relationship(back_populates="submission")
    acknowledgements: Mapped[list[GapAcknowledgement]] = relationship(back_populates="submission")

    @property
    def is_locked(self) -> bool:
        return self.status is SubmissionStatus.LOCKED


class SubmissionItem(Base):
    __tablename__ = "submission_items"
    __table_args__ = (UniqueConstraint("submission_id", "evidence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: Write-once copy of the file taken at lock time, what the assessor sees (the manifest holds
    #: the same key, size and hash; verify checks against the manifest).
    frozen_key: Mapped[str | None] = mapped_column(String(300))
    frozen_size: Mapped[int | None] = mapped_column(BigInteger)
    frozen_sha256: Mapped[str | None] = mapped_column(String(64))

    submission: Mapped[Submission] = relationship(back_populates="items")
    evidence: Mapped[Evidence] = relationship()


class GatewaySignoff(Base):
    """The employer's or training provider's declaration that the apprentice is ready."""

    __tablename__ = "gateway_signoffs"
    __table_args__ = (UniqueConstraint("submission_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    role: Mapped[SignoffRole] = mapped_column(str_enum(SignoffRole, 30))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    declaration: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="signoffs")
    user: Mapped[User] = relationship()


class GapAcknowledgement(Base):
    """An explicit note that a showcase-area unit is not covered, and why that is acceptable."""

    __tablename__ = "gap_acknowledgements"
    __table_args__ = (UniqueConstraint("submission_id", "reference_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    reference_id: Mapped[int] = mapped_column(ForeignKey("standard_references.id"))
    note: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="acknowledgements")
    reference: Mapped[StandardReference] = relationship()
    by: Mapped[User] = relationship()


class AccessGrant(Base):
    """Read-only access to one locked version for an external quality assurer (or inspector),
    granted by an admin of its assessment organisation until it expires or is revoked.

    It lives with submissions, not with showcase.eqa's pages, because the read check
    (``submissions.permissions.can_read_submission``) consults it: the one place that decides
    who may read a version stays below everything that shows one.
    """

    __tablename__ = "access_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    #: The assessment organisation whose admin granted it (the submission's at the time).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    submission: Mapped[Submission] = relationship()
    organisation: Mapped[Organisation] = relationship()
    granted_by: Mapped[User] = relationship(foreign_keys=[granted_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def is_live(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now
