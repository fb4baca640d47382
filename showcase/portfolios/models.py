"""An apprenticeship links an apprentice to a standard version, an employer and a provider."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import Organisation, User
from showcase.db import Base, utcnow
from showcase.standards.coverage import months_between
from showcase.standards.models import Standard


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
    tutor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
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
