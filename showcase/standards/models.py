"""Imported standards: one row per standard version, one row per referenceable unit or criterion.

The data file is the source of truth; the rows exist so evidence tags, judgements and coverage
rollups can hold foreign keys. ``document`` keeps the validated file so pages need no re-parse.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import Organisation
from showcase.db import Base, str_enum, utcnow


class ReferenceKind(enum.StrEnum):
    #: Something evidence is tagged to (an ST0072 item, a TLII4001 performance criterion).
    UNIT = "unit"
    #: Something an assessor judges (a pass or distinction criterion).
    CRITERION = "criterion"


class Standard(Base):
    __tablename__ = "standards"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    jurisdiction: Mapped[str] = mapped_column(String(100))
    level: Mapped[str | None] = mapped_column(String(20))
    scheme: Mapped[str] = mapped_column(String(40))
    #: The validated data file, as JSON. Deferred: pages use the parsed copy cached by hash.
    document: Mapped[dict] = mapped_column(JSON, deferred=True)
    #: SHA-256 of the source file, to tell a re-import of the same file from a changed one.
    file_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    references: Mapped[list[StandardReference]] = relationship(
        back_populates="standard", order_by="StandardReference.position"
    )

    @property
    def key(self) -> str:
        return f"{self.code}/{self.version}"


class StandardReference(Base):
    """A unit or criterion of a standard, addressable by its stable ``ref``."""

    __tablename__ = "standard_references"
    __table_args__ = (UniqueConstraint("standard_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(
        ForeignKey("standards.id", ondelete="CASCADE"), index=True
    )
    #: Stable across re-imports, e.g. ``ST0072/knowing-your-customers/1.1``.
    ref: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ReferenceKind] = mapped_column(str_enum(ReferenceKind, 20))
    module_key: Mapped[str] = mapped_column(String(100))
    number: Mapped[str | None] = mapped_column(String(20))
    #: Assessment method of a criterion (None for units).
    method_key: Mapped[str | None] = mapped_column(String(60))
    #: "pass" or "distinction" for criteria.
    level: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    is_uncertain: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(Integer)

    standard: Mapped[Standard] = relationship(back_populates="references")


class StandardSupplement(Base):
    """An assessment organisation's own criteria for what a standard version's plan leaves
    missing (showcase.standards.supplements). Kept apart from the plan's file and rows: each
    upload is a new version, older versions stay, and only that organisation grades with it."""

    __tablename__ = "standard_supplements"
    __table_args__ = (UniqueConstraint("standard_id", "organisation_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standards.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: 1, 2, … per standard version and organisation; the highest is the one graded with.
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    #: The file says its criteria are an illustrative example, not an organisation's real ones.
    is_illustrative: Mapped[bool] = mapped_column(default=False)
    #: The validated supplement file, as JSON (never merged into ``Standard.document``).
    document: Mapped[dict] = mapped_column(JSON)
    file_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    standard: Mapped[Standard] = relationship()
    organisation: Mapped[Organisation] = relationship()


class SupplementCriterion(Base):
    """A criterion row (``standard_references``) that a supplement adds, not the plan: judgements
    need a row to point at, and this link keeps such rows apart from the plan's own."""

    __tablename__ = "standard_supplement_criteria"

    supplement_id: Mapped[int] = mapped_column(
        ForeignKey("standard_supplements.id"), primary_key=True
    )
    reference_id: Mapped[int] = mapped_column(
        ForeignKey("standard_references.id"), primary_key=True, unique=True
    )

    supplement: Mapped[StandardSupplement] = relationship()
    reference: Mapped[StandardReference] = relationship()
