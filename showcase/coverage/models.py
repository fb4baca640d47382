"""The coverage rollup: one row per apprenticeship × unit that has ever been tagged.

Kept in step with evidence and tags by a session flush listener (``showcase.coverage.rollup``),
in the same transaction as the change, so the cohort dashboard reads counts instead of scanning
every tag. ``flask coverage rebuild`` recomputes it from scratch; a test proves the two agree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from showcase.db import Base, utcnow


class CoverageRollup(Base):
    __tablename__ = "coverage_rollups"
    __table_args__ = (Index("ix_coverage_rollups_covered", "apprenticeship_id", "is_covered"),)

    apprenticeship_id: Mapped[int] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE"), primary_key=True
    )
    reference_id: Mapped[int] = mapped_column(
        ForeignKey("standard_references.id", ondelete="CASCADE"), primary_key=True
    )
    #: Copied from the reference so per-module counts need no join.
    module_key: Mapped[str] = mapped_column(String(100))
    #: Live tags (tag not removed, evidence not deleted), by state.
    tag_count: Mapped[int] = mapped_column(Integer, default=0)
    accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_back_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Live tags whose evidence kind counts as third-party under the unit's sufficiency rule.
    third_party_count: Mapped[int] = mapped_column(Integer, default=0)
    third_party_accepted_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Sorted, comma-separated evidence kinds of the live tags.
    kinds: Mapped[str] = mapped_column(String(400), default="")
    is_covered: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CoverageSummary(Base):
    """Covered units per module of one apprenticeship, derived from its rollup rows.

    Maintained with the rollup (same flush) so the cohort dashboard reads one small row per
    apprentice instead of grouping every apprentice's unit rows on each request.
    """

    __tablename__ = "coverage_summaries"

    apprenticeship_id: Mapped[int] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE"), primary_key=True
    )
    covered_count: Mapped[int] = mapped_column(Integer, default=0)
    #: {module key: covered units}, modules with none covered left out.
    module_covered: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CoverageDay(Base):
    """Gateway units one apprenticeship had covered at the end of a past day.

    The gateway forecast samples today and the same weekday in each of the last weeks; every
    one of those days but today is closed, and coverage at the end of a closed day never changes
    (tag decisions happen now), so the counts are computed once from the accepted spells
    (``showcase.coverage.days``) and the cohort dashboard reads a dozen rows per apprentice
    instead of every tag event. Rows are kept for the last ``forecast.WEEKS`` weeks only.
    """

    __tablename__ = "coverage_days"

    apprenticeship_id: Mapped[int] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    #: Gateway units covered at the end of ``day`` (``forecast.covered_series``).
    units_covered: Mapped[int] = mapped_column(Integer)
