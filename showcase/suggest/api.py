"""Suggested units of an evidence item in the JSON API."""

from __future__ import annotations

from typing import Literal

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel, Field

from showcase.api import bp, responses, spec
from showcase.evidence.loaders import get_evidence_or_404
from showcase.suggest import services


class PieceOut(BaseModel):
    text: str
    #: True for the words the passage shares with the unit (shown highlighted on the page).
    matched: bool


class SuggestionOut(BaseModel):
    ref: str
    number: str
    module: str
    #: The unit's own words.
    text: str
    #: 1 for the most likely unit.
    rank: int = Field(ge=1)
    score: float
    #: The sentence of the evidence that matched best ("" when none shares a word with it).
    passage: str
    pieces: list[PieceOut]


class ExtractionOut(BaseModel):
    status: Literal["done", "empty", "unsupported", "failed"]
    method: str
    truncated: bool
    detail: str | None


class SuggestionsOut(BaseModel):
    evidence_id: int
    ranker: Literal["lexical", "semantic", "combined"]
    #: False when the item has no description and no text could be read from its file: there
    #: is nothing to suggest from until a description is added.
    has_text: bool
    #: True while the file's text is still being read (the suggestions use the rest).
    reading: bool
    #: What reading the file found, once it has run (null for items without a file).
    extraction: ExtractionOut | None
    #: Units already tagged to the item are left out.
    suggestions: list[SuggestionOut]


@bp.get("/evidence/<int:evidence_id>/suggestions")
@spec.validate(resp=responses(HTTP_200=SuggestionsOut), tags=["evidence"])
def get_suggestions(evidence_id: int) -> SuggestionsOut:
    """The units the item most likely shows, each with the passage that matched. Nothing is
    tagged: a person picks and writes the justification."""
    item = get_evidence_or_404(current_user, evidence_id)
    found = services.suggest_for_item(item, current_app.config)
    extraction = found.extraction
    return SuggestionsOut(
        evidence_id=item.id,
        ranker=found.ranker,  # type: ignore[arg-type]
        has_text=found.has_text,
        reading=found.reading,
        extraction=ExtractionOut(
            status=extraction.status.value,  # type: ignore[arg-type]
            method=extraction.method,
            truncated=extraction.truncated,
            detail=extraction.detail,
        )
        if extraction is not None
        else None,
        suggestions=[
            SuggestionOut(
                ref=s.ref,
                number=s.number,
                module=s.module_title,
                text=s.unit_text,
                rank=s.rank,
                score=s.score,
                passage=s.passage,
                pieces=[PieceOut(text=t, matched=m) for t, m in s.pieces],
            )
            for s in found.suggestions
        ],
    )
