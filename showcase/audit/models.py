"""Audit entries: each carries the hash of the one before, so any edit breaks the chain."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.db import Base, utcnow

if TYPE_CHECKING:
    from showcase.accounts.models import User

#: The previous hash of the first entry.
GENESIS = "0" * 64


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: None for the system (CLI, migrations, demo loading).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Dotted verb, e.g. "evidence.uploaded", "submission.locked", "assessment.graded".
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    apprenticeship_id: Mapped[int | None] = mapped_column(index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Unique: an entry can be the successor of only one entry, so the chain can never fork.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor: Mapped[User | None] = relationship("User")
