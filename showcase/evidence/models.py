"""Evidence items, the files behind them, tags against criteria and each tag's history."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.accounts.models import User
from showcase.db import Base, str_enum, utcnow
from showcase.evidence.regions import Region, region_of
from showcase.portfolios.models import Apprenticeship
from showcase.standards.models import StandardReference


class EvidenceKind(enum.StrEnum):
    WITNESS_STATEMENT = "witness_statement"
    RECORDING = "recording"
    PROGRESS_REVIEW = "progress_review"
    CUSTOMER_FEEDBACK = "customer_feedback"
    MANAGER_STATEMENT = "manager_statement"
    OBSERVATION_RECORD = "observation_record"
    #: Notes a tutor keeps of a professional discussion with the apprentice (issue 14).
    PROFESSIONAL_DISCUSSION = "professional_discussion"
    REFLECTIVE_ACCOUNT = "reflective_account"
    WORK_PRODUCT = "work_product"
    PHOTO = "photo"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class TagStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    SENT_BACK = "sent_back"

    @property
    def label(self) -> str:
        return {"pending": "Awaiting tutor", "accepted": "Accepted", "sent_back": "Sent back"}[
            self.value
        ]


class StoredFile(Base):
    """A blob in storage. Written first under a fresh key; its row commits with the evidence."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Generated, write-once storage key; never derived from the user's filename.
    key: Mapped[str] = mapped_column(String(300), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    #: Sniffed from the content, never taken from the client.
    mime_type: Mapped[str] = mapped_column(String(120))
    #: The uploader's filename, sanitised, for display and download names only.
    display_name: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: A recording's length and a PDF's page count, read from the file the first time a tag's
    #: region is checked against it (showcase.evidence.regions); blobs are write-once.
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    page_count: Mapped[int | None]


class Evidence(Base):
    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(ForeignKey("apprenticeships.id"), index=True)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EvidenceKind] = mapped_column(str_enum(EvidenceKind))
    #: When the work happened, which may be long before the upload.
    activity_date: Mapped[dt.date]
    description: Mapped[str] = mapped_column(Text, default="")
    witness_name: Mapped[str | None] = mapped_column(String(200))
    witness_role: Mapped[str | None] = mapped_column(String(200))
    witness_relationship: Mapped[str | None] = mapped_column(String(200))
    #: Email or phone the assessor can use to verify the statement.
    witness_contact: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Deletion is recorded, not erased: the row stays, hidden, with who and when.
    deleted_at: Mapped[dt.datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: Set when a submitted showcase includes this item; from then on it never changes.
    locked_at: Mapped[dt.datetime | None]
    #: Set when someone other than the apprentice signed the item's content (a witness
    #: statement): from then on nobody edits or deletes it.
    sealed_at: Mapped[dt.datetime | None]
    #: The member of staff (tutor, line manager) who recorded the item on the apprentice's
    #: behalf; None when the apprentice added it (or a witness signed it).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    apprenticeship: Mapped[Apprenticeship] = relationship()
    file: Mapped[StoredFile | None] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    tags: Mapped[list[EvidenceTag]] = relationship(
        back_populates="evidence", order_by="EvidenceTag.id"
    )

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class EvidenceTag(Base):
    """A claim that an evidence item shows a unit of the standard, with the reason why."""

    __tablename__ = "evidence_tags"
    __table_args__ = (
        UniqueConstraint("evidence_id", "reference_id"),
        # The tutor's marking queue reads pending tags oldest first across many learners: a
        # partial index keeps its first page from sorting every pending tag of the cohort.
        Index(
            "ix_evidence_tags_pending",
            "created_at",
            "id",
            postgresql_where=text("status = 'pending' AND removed_at IS NULL"),
            sqlite_where=text("status = 'pending' AND removed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    reference_id: Mapped[int] = mapped_column(ForeignKey("standard_references.id"), index=True)
    #: The apprentice's account of how the evidence shows the unit.
    justification: Mapped[str] = mapped_column(Text)
    status: Mapped[TagStatus] = mapped_column(str_enum(TagStatus, 20), default=TagStatus.PENDING)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Removed tags keep their row and history; re-tagging revives the row.
    removed_at: Mapped[dt.datetime | None]
    #: When the apprentice picked the unit from the suggestions (showcase.suggest): its rank
    #: (1 = top) and the ranker that made them ("lexical", "semantic", "combined"); None when
    #: they chose it themselves. Kept so the acceptance rate of suggestions can be measured.
    suggestion_rank: Mapped[int | None]
    suggestion_ranker: Mapped[str | None] = mapped_column(String(20))
    #: The part of the file the tag points at (showcase.evidence.regions): "time" (seconds,
    #: end inclusive) or "pages" (1-based, inclusive); all three None for the whole item.
    region_kind: Mapped[str | None] = mapped_column(String(10))
    region_start: Mapped[int | None]
    region_end: Mapped[int | None]

    @property
    def region(self) -> Region | None:
        """The part of the file this tag points at, or None for the whole item."""
        return region_of(self.region_kind, self.region_start, self.region_end)

    evidence: Mapped[Evidence] = relationship(back_populates="tags")
    reference: Mapped[StandardReference] = relationship()
    events: Mapped[list[TagEvent]] = relationship(back_populates="tag", order_by="TagEvent.id")


class TagEvent(Base):
    """One step in a tag's history: created, edited, accepted, sent back, removed, restored."""

    __tablename__ = "evidence_tag_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("evidence_tags.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    justification: Mapped[str | None] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    tag: Mapped[EvidenceTag] = relationship(back_populates="events")
    actor: Mapped[User] = relationship()


class UploadSession(Base):
    """A resumable upload in progress: parts go to a storage multipart upload until complete."""

    __tablename__ = "upload_sessions"

    #: Random 32-hex id; it appears in URLs, so it must not be guessable or sequential.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    apprenticeship_id: Mapped[int] = mapped_column(ForeignKey("apprenticeships.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The uploader's file name, sanitised for display; never used as a key.
    filename: Mapped[str] = mapped_column(String(255))
    #: The size the client announced; the upload completes when this many bytes arrived.
    size: Mapped[int] = mapped_column(BigInteger)
    #: Fixed at creation so a configuration change can't break uploads already under way.
    part_size: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(300), unique=True)
    #: The backend's multipart upload id (S3's are long opaque strings).
    storage_upload_id: Mapped[str] = mapped_column(String(1024))
    #: Parts received so far as [part_number, etag, size] lists, to complete the upload.
    parts: Mapped[list] = mapped_column(JSON, default=list)
    bytes_received: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Hex SHA-256 of the whole file as the client declared it at creation (``Repr-Digest``);
    #: the assembled file must match it. None when the client declared none.
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[dt.datetime | None]
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_items.id"))
    #: A direct upload: the client sends parts straight to S3 (presigned URLs) into a
    #: quarantine key; a job checks the joined file and promotes it (showcase.evidence.direct).
    direct: Mapped[bool] = mapped_column(default=False)
    #: A direct upload's state: "uploading", "checking", "refused" or "stored".
    state: Mapped[str] = mapped_column(String(20), default="uploading")
    #: Why a direct upload was refused, in words the upload's page shows.
    failure: Mapped[str | None] = mapped_column(Text)

    apprenticeship: Mapped[Apprenticeship] = relationship()
    evidence: Mapped[Evidence | None] = relationship()

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class EvidenceComment(Base):
    """Feedback on an evidence item between the apprentice, tutor and line manager.

    Append-only: a comment is never edited or deleted (each is an audit entry too). It is not
    part of the locked showcase unless the apprentice chose to include it before the lock
    (``included_at``); the lock copies included comments into the manifest.
    """

    __tablename__ = "evidence_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_items.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: When the apprentice chose to include it with their showcase; None when not included.
    included_at: Mapped[dt.datetime | None]

    evidence: Mapped[Evidence] = relationship()
    author: Mapped[User] = relationship()
