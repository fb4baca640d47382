"""An apprenticeship links an apprentice to a standard version, an employer and a provider."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import Organisation, User, period_text
from showcase.db import Base, str_enum, utcnow
from showcase.standards.models import Standard
from showcase.standards.sufficiency import months_between


class Apprenticeship(Base):
    __tablename__ = "apprenticeships"

    id: Mapped[int] = mapped_column(primary_key=True)
    apprentice_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: The standard version enrolled on; it never changes when a newer version is imported.
    standard_id: Mapped[int] = mapped_column(ForeignKey("standards.id"), index=True)
    start_date: Mapped[dt.date]
    employer_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    line_manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: The current tutor and line manager; ``ApprenticeshipParty`` keeps who held them when.
    tutor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: The planned end of the practical period and the planned off-the-job training hours,
    #: set at enrolment (None for apprenticeships enrolled before they were recorded).
    planned_end_date: Mapped[dt.date | None]
    planned_otj_hours: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    apprentice: Mapped[User] = relationship(foreign_keys=[apprentice_id])
    line_manager: Mapped[User] = relationship(foreign_keys=[line_manager_id])
    tutor: Mapped[User] = relationship(foreign_keys=[tutor_id])
    employer: Mapped[Organisation] = relationship(foreign_keys=[employer_id])
    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    standard: Mapped[Standard] = relationship()

    def months_on_programme(self, on: dt.date) -> int:
        """Whole calendar months from the start date to ``on``, counted as review points and
        the dashboard count them (a start on the 31st completes a month on the 30th)."""
        return months_between(self.start_date, on)


class PartyRole(enum.StrEnum):
    """The parties of an apprenticeship that can change during it."""

    TUTOR = "tutor"
    LINE_MANAGER = "line_manager"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def column(self) -> str:
        """The ``Apprenticeship`` column holding the current party."""
        return f"{self.value}_id"


def start_of(day: dt.date) -> dt.datetime:
    """Midnight UTC at the start of ``day``."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


class ApprenticeshipParty(Base):
    """Who was an apprenticeship's tutor or line manager, from when to when.

    Independence checks read this history: a former tutor stays a former tutor after the
    apprenticeship's ``tutor_id`` moves on.
    """

    __tablename__ = "apprenticeship_parties"
    __table_args__ = (
        # At most one current tutor and one current line manager per apprenticeship.
        Index(
            "uq_apprenticeship_parties_current",
            "apprenticeship_id",
            "role",
            unique=True,
            sqlite_where=sa_text("ended_at IS NULL"),
            postgresql_where=sa_text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(
        ForeignKey("apprenticeships.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[PartyRole] = mapped_column(str_enum(PartyRole, length=20))
    started_at: Mapped[dt.datetime]
    #: None while the person still holds the role.
    ended_at: Mapped[dt.datetime | None]

    apprenticeship: Mapped[Apprenticeship] = relationship()
    user: Mapped[User] = relationship()

    @property
    def period(self) -> str:
        """``from 2025-09-01 to 2026-11-30``, or ``since 2025-09-01`` while current."""
        return period_text(self.started_at, self.ended_at)
