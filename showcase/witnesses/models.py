"""Witness requests (a named person asked, by a one-time emailed link, for a statement about
chosen units) and the signature record of each signed statement."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import User
from showcase.db import Base, str_enum, utcnow
from showcase.evidence.models import Evidence, StoredFile
from showcase.portfolios.models import Apprenticeship


class WitnessRequestStatus(enum.StrEnum):
    #: The link is out and the witness has not answered (it may have expired: see ``state``).
    WAITING = "waiting"
    SIGNED = "signed"
    DECLINED = "declined"
    REVOKED = "revoked"


class WitnessState(enum.StrEnum):
    """What a request's people see: the stored status, with expiry worked out at read time."""

    WAITING = "waiting"
    EXPIRED = "expired"
    SIGNED = "signed"
    DECLINED = "declined"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return {
            "waiting": "Waiting for the witness",
            "expired": "Link expired",
            "signed": "Signed",
            "declined": "Declined",
            "revoked": "Withdrawn",
        }[self.value]


class WitnessRequest(Base):
    """One person asked for one statement. The link's token is stored only as its SHA-256;
    a resend replaces it (the old link stops working) and answering spends it."""

    __tablename__ = "witness_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(ForeignKey("apprenticeships.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    witness_name: Mapped[str] = mapped_column(String(200))
    #: Lower-cased; the link goes here and the signature record keeps it.
    witness_email: Mapped[str] = mapped_column(String(254))
    witness_role: Mapped[str] = mapped_column(String(200))
    witness_relationship: Mapped[str] = mapped_column(String(200))
    witness_organisation: Mapped[str] = mapped_column(String(200), default="")
    #: What happened and when, in the asker's words: the only context the witness is shown.
    note: Mapped[str] = mapped_column(Text)
    activity_date: Mapped[dt.date]
    #: The unit refs of the apprenticeship's standard the statement is asked about.
    unit_refs: Mapped[list] = mapped_column(JSON)
    #: SHA-256 of the link's token; the token itself is only ever in the email.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[WitnessRequestStatus] = mapped_column(
        str_enum(WitnessRequestStatus, 20), default=WitnessRequestStatus.WAITING
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: When the current link was sent; it stops working at ``expires_at``.
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    #: How many links were sent (1 + resends).
    sends: Mapped[int] = mapped_column(default=1)
    #: Signed, declined or withdrawn: when, and (declined) the witness's reason.
    answered_at: Mapped[dt.datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The sealed witness statement the signature made.
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_items.id"), unique=True)

    apprenticeship: Mapped[Apprenticeship] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    evidence: Mapped[Evidence | None] = relationship()
    signature: Mapped[WitnessSignature | None] = relationship(back_populates="request")

    def state(self, now: dt.datetime) -> WitnessState:
        if self.status is WitnessRequestStatus.WAITING and self.expires_at <= now:
            return WitnessState.EXPIRED
        return WitnessState(self.status.value)


class WitnessSignature(Base):
    """Who signed which exact statement, when, from where: kept beside the sealed evidence.

    ``statement_sha256`` is the SHA-256 of the statement's canonical bytes
    (``services.canonical_statement``): the text as signed and the SHA-256 of any file.
    """

    __tablename__ = "witness_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("witness_requests.id"), unique=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), unique=True)
    #: The signer's details as they confirmed them on the signing page.
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_role: Mapped[str] = mapped_column(String(200))
    signer_relationship: Mapped[str] = mapped_column(String(200))
    signer_organisation: Mapped[str] = mapped_column(String(200), default="")
    #: The full name typed as the signature.
    typed_signature: Mapped[str] = mapped_column(String(200))
    #: The declaration's exact wording, as it was ticked.
    declaration: Mapped[str] = mapped_column(Text)
    #: The address the link was sent to (the signer proved they can read its mail).
    sent_to_email: Mapped[str] = mapped_column(String(254))
    signed_at: Mapped[dt.datetime]
    #: The client's address as the app sees it (after the configured proxies) and its browser.
    client_address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(500))
    #: Version of the canonical byte form the hash is over.
    hash_version: Mapped[int] = mapped_column(default=1)
    statement_sha256: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the uploaded document or recording, when there is one.
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    #: The PDF rendering of the signed statement, stored beside it.
    pdf_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"), unique=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    request: Mapped[WitnessRequest] = relationship(back_populates="signature")
    evidence: Mapped[Evidence] = relationship()
    pdf_file: Mapped[StoredFile | None] = relationship()
