"""The marking queue: read side (one query per page, keyset-paginated) and batch decisions.

Every decision goes through ``showcase.evidence.services.review_tag``, which takes the item's
row lock, refuses locked or removed things and keeps the tag's history; this module only
chooses which tags to show and in what order. Services only flush; the request commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from showcase import db
from showcase.accounts.models import User
from showcase.errors import ValidationFailed
from showcase.evidence import services as evidence
from showcase.evidence.models import Evidence, EvidenceKind, EvidenceTag, StoredFile, TagStatus
from showcase.marking.loaders import get_marker_or_404
from showcase.marking.permissions import marked_apprenticeships
from showcase.portfolios.models import Apprenticeship
from showcase.standards.models import Standard, StandardReference
from showcase.standards.services import doc_for

#: Rows on one page of the queue, and the most an API client may ask for.
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the queue: just after the tag with this (created_at, id).

    Keyset pagination rather than OFFSET: a page costs the same however deep it is, and tags
    decided meanwhile do not shift the next page. Written as ``<microseconds>.<id>`` (digits
    and a dot, safe in a URL)."""

    created_at: dt.datetime
    tag_id: int

    def __str__(self) -> str:
        return f"{(self.created_at - _EPOCH) // _MICROSECOND}.{self.tag_id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor written by ``str()``; None for none; 422 for anything else."""
        if not text:
            return None
        micros, dot, tag_id = text.partition(".")
        if not dot or not micros.isdigit() or not tag_id.isdigit() or len(text) > 40:
            raise ValidationFailed(
                "That position in the queue is not valid. Start again from the oldest.",
                field="after",
            )
        try:
            return cls(_EPOCH + int(micros) * _MICROSECOND, int(tag_id))
        except OverflowError:
            raise ValidationFailed(
                "That position in the queue is not valid. Start again from the oldest.",
                field="after",
            ) from None


@dataclass(frozen=True, slots=True)
class MarkingFilter:
    """Narrow the queue to one learner (apprenticeship), one module, one kind of evidence."""

    apprenticeship_id: int | None = None
    #: ``<standard code>/<module key>``, e.g. ``ST0072/communication``: the prefix of its refs.
    module: str | None = None
    kind: EvidenceKind | None = None


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One pending tag with what the tutor needs to decide it."""

    tag_id: int
    created_at: dt.datetime
    justification: str
    ref: str
    number: str | None
    unit_text: str
    module_key: str
    evidence_id: int
    title: str
    kind: EvidenceKind
    activity_date: dt.date
    description: str
    witness_name: str | None
    mime_type: str | None
    file_name: str | None
    apprenticeship_id: int
    standard_id: int
    apprentice_name: str

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.created_at, self.tag_id)

    @property
    def media(self) -> str | None:
        """How the page shows the file inline: "image", "audio", "video", or None (a link)."""
        if self.mime_type is None:
            return None
        category = self.mime_type.split("/", 1)[0]
        # HEIC is an image browsers cannot draw; it gets a download link like any other file.
        if category == "image" and self.mime_type != "image/heic":
            return "image"
        return category if category in ("audio", "video") else None


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[QueueRow]
    #: Where the next page starts, or None on the last page.
    next_cursor: Cursor | None


def pending_tags(
    tutor: User,
    filters: MarkingFilter | None = None,
    *,
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """Pending tags of every learner ``tutor`` tutors, oldest first, after ``after``.

    One query, whatever the page size: the tag with its unit, item, file and learner's name as
    plain columns (no objects, no lazy loads). Tags on deleted items are left out, and so are
    tags on locked items: a submitted showcase or signed review can no longer change, so there
    is nothing the tutor could do with them here.
    """
    get_marker_or_404(tutor)
    filters = filters or MarkingFilter()
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    stmt = (
        select(
            EvidenceTag.id,
            EvidenceTag.created_at,
            EvidenceTag.justification,
            StandardReference.ref,
            StandardReference.number,
            StandardReference.text,
            StandardReference.module_key,
            Evidence.id,
            Evidence.title,
            Evidence.kind,
            Evidence.activity_date,
            Evidence.description,
            Evidence.witness_name,
            StoredFile.mime_type,
            StoredFile.display_name,
            Apprenticeship.id,
            Apprenticeship.standard_id,
            User.name,
        )
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .join(Apprenticeship, Evidence.apprenticeship_id == Apprenticeship.id)
        .join(User, Apprenticeship.apprentice_id == User.id)
        .join(StandardReference, EvidenceTag.reference_id == StandardReference.id)
        .outerjoin(StoredFile, Evidence.file_id == StoredFile.id)
        .where(
            marked_apprenticeships(tutor),
            EvidenceTag.status == TagStatus.PENDING,
            EvidenceTag.removed_at.is_(None),
            Evidence.deleted_at.is_(None),
            Evidence.locked_at.is_(None),
        )
        .order_by(EvidenceTag.created_at, EvidenceTag.id)
        .limit(limit + 1)
    )
    if filters.apprenticeship_id is not None:
        stmt = stmt.where(Apprenticeship.id == filters.apprenticeship_id)
    if filters.kind is not None:
        stmt = stmt.where(Evidence.kind == filters.kind)
    if filters.module:
        code, _, module_key = filters.module.rpartition("/")
        stmt = stmt.where(
            StandardReference.module_key == module_key,
            StandardReference.ref.startswith(f"{code}/{module_key}/", autoescape=True),
        )
    if after is not None:
        # Spelt out rather than a row-value comparison, which not every database plans well.
        stmt = stmt.where(
            or_(
                EvidenceTag.created_at > after.created_at,
                and_(EvidenceTag.created_at == after.created_at, EvidenceTag.id > after.tag_id),
            )
        )
    rows = [QueueRow(*row) for row in db.session.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    return QueuePage(rows=rows, next_cursor=rows[-1].cursor if more else None)


def next_pending(tutor: User, filters: MarkingFilter, after: Cursor | None) -> QueueRow | None:
    """The pending tag that follows ``after`` (or the oldest) in the queue, if any; one query."""
    page = pending_tags(tutor, filters, after=after, limit=1)
    return page.rows[0] if page.rows else None


@dataclass(frozen=True, slots=True)
class Learner:
    apprenticeship_id: int
    name: str
    standard_id: int


@dataclass(frozen=True, slots=True)
class ModuleChoice:
    #: ``<standard code>/<module key>``, the value ``MarkingFilter.module`` takes.
    value: str
    title: str
    standard: str


@dataclass(frozen=True, slots=True)
class QueueContext:
    """What the page needs besides the rows: the filter menus and module titles (two queries
    however many learners; a standard's parsed file is cached per process)."""

    learners: list[Learner]
    modules: list[ModuleChoice]
    #: (standard id, module key) → module title, for the rows.
    module_titles: dict[tuple[int, str], str]


def queue_context(tutor: User) -> QueueContext:
    get_marker_or_404(tutor)
    learners = [
        Learner(*row)
        for row in db.session.execute(
            select(Apprenticeship.id, User.name, Apprenticeship.standard_id)
            .join(User, Apprenticeship.apprentice_id == User.id)
            .where(marked_apprenticeships(tutor))
            .order_by(User.name, Apprenticeship.id)
        )
    ]
    standard_ids = sorted({learner.standard_id for learner in learners})
    standards = (
        db.session.scalars(
            select(Standard).where(Standard.id.in_(standard_ids)).order_by(Standard.code)
        ).all()
        if standard_ids
        else []
    )
    modules: dict[str, ModuleChoice] = {}
    titles: dict[tuple[int, str], str] = {}
    for standard in standards:
        for module in doc_for(standard).modules():
            titles[(standard.id, module.key)] = module.title
            value = f"{standard.code}/{module.key}"
            modules.setdefault(value, ModuleChoice(value, module.title, standard.code))
    return QueueContext(learners=learners, modules=list(modules.values()), module_titles=titles)


def accept_tags(tutor: User, tags: Sequence[EvidenceTag]) -> list[EvidenceTag]:
    """Accept several tags at once, each through the evidence service (all or nothing: the
    first refusal — a locked or removed item — propagates and the request rolls back)."""
    get_marker_or_404(tutor)
    # Items in id order, so two batches locking overlapping items take the locks in one order.
    for tag in sorted(tags, key=lambda t: (t.evidence_id, t.id)):
        evidence.review_tag(tutor, tag, accept=True)
    return list(tags)
