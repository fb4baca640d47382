"""The outbox: messages kept in the database instead of sent (the development default)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from showcase.db import Base, utcnow


class OutboxMessage(Base):
    """One email the outbox backend kept, readable by platform admins at /admin/outbox."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: One recipient address.
    to: Mapped[str] = mapped_column("to_address", String(254), index=True)
    from_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    #: Extra headers (e.g. X-Showcase-Reason), as sent.
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
