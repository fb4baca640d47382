"""The marking queue in the JSON API. Decisions go to the existing
``POST /api/v1/tags/{tag_id}/review``; each item names its URL."""

from __future__ import annotations

import datetime as dt

from flask import request
from flask_login import current_user
from pydantic import BaseModel, Field

from showcase.api import Id, bp, responses, spec, text
from showcase.evidence.models import EvidenceKind
from showcase.marking import services
from showcase.marking.services import Cursor


class MarkingQuery(BaseModel):
    learner: Id | None = Field(default=None, description="An apprenticeship id.")
    module: text(320) | None = Field(
        default=None, description="'<standard code>/<module key>', e.g. ST0072/communication."
    )
    kind: EvidenceKind | None = None
    after: text(40) | None = Field(
        default=None, description="The 'next' of the previous page: where this page starts."
    )
    limit: int = Field(default=services.PAGE_SIZE, ge=1, le=services.MAX_PAGE_SIZE)


class MarkingFileOut(BaseModel):
    name: str
    mime_type: str
    url: str


class MarkingItemOut(BaseModel):
    tag_id: int
    tagged_at: dt.datetime
    ref: str
    number: str | None
    unit: str
    module: str
    justification: str
    apprenticeship_id: int
    apprentice: str
    evidence_id: int
    title: str
    kind: EvidenceKind
    activity_date: dt.date
    description: str
    file: MarkingFileOut | None
    #: Where to send the decision: {"accept": true} or {"accept": false, "comment": "…"}.
    review_url: str


class MarkingPageOut(BaseModel):
    items: list[MarkingItemOut]
    #: Pass as ``after`` for the next page; null on the last page.
    next: str | None


@bp.get("/marking")
@spec.validate(query=MarkingQuery, resp=responses(404, HTTP_200=MarkingPageOut), tags=["evidence"])
def get_marking_queue() -> MarkingPageOut:
    """The caller's marking queue (tutors only): pending tags of every learner they tutor,
    oldest first, filtered by learner, module and kind, a page at a time."""
    query: MarkingQuery = request.context.query  # type: ignore[attr-defined]
    page = services.pending_tags(
        current_user,
        services.MarkingFilter(
            apprenticeship_id=query.learner, module=query.module, kind=query.kind
        ),
        after=Cursor.parse(query.after),
        limit=query.limit,
    )
    return MarkingPageOut(
        items=[
            MarkingItemOut(
                tag_id=row.tag_id,
                tagged_at=row.created_at,
                ref=row.ref,
                number=row.number,
                unit=row.unit_text,
                module=f"{row.ref.split('/', 1)[0]}/{row.module_key}",
                justification=row.justification,
                apprenticeship_id=row.apprenticeship_id,
                apprentice=row.apprentice_name,
                evidence_id=row.evidence_id,
                title=row.title,
                kind=row.kind,
                activity_date=row.activity_date,
                description=row.description,
                file=MarkingFileOut(
                    name=row.file_name,
                    mime_type=row.mime_type,
                    url=f"/api/v1/evidence/{row.evidence_id}/file",
                )
                if row.mime_type is not None and row.file_name is not None
                else None,
                review_url=f"/api/v1/tags/{row.tag_id}/review",
            )
            for row in page.rows
        ],
        next=str(page.next_cursor) if page.next_cursor else None,
    )
