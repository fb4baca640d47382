"""The text extracted from an evidence item's file, kept for ranking units against it."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from showcase.db import Base, str_enum, utcnow


class ExtractionStatus(enum.StrEnum):
    #: Text was found in the file.
    DONE = "done"
    #: The file was read but held no text (a scanned page without OCR, an empty document).
    EMPTY = "empty"
    #: Not a kind of file text is taken from (audio, video, a photo without OCR).
    UNSUPPORTED = "unsupported"
    #: Reading failed (a damaged or encrypted file, a timeout); ``detail`` says why.
    FAILED = "failed"


class EvidenceText(Base):
    """One row per evidence item with a file: what extraction found, or why it found nothing.

    The item's own words (title, description, witness fields) are read live from the item, so
    editing them needs no new extraction; only the file's text is stored here.
    """

    __tablename__ = "evidence_texts"

    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), primary_key=True)
    #: The file the text came from: a retried job for the same file changes nothing.
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[ExtractionStatus] = mapped_column(str_enum(ExtractionStatus, 20))
    #: How the text was read: "pdf", "docx", "odf", "text", "ocr" or "none".
    method: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    #: True when a size, page or time limit stopped the reading before the end of the file.
    truncated: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[str | None] = mapped_column(String(300))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    extracted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
