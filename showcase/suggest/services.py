"""Suggested units for an evidence item, and hints for the gaps of a coverage report.

The item's words are its title, its description (where written accounts and witness statements
keep their text) and the text extracted from its file (``EvidenceText``, filled by the job in
``showcase.suggest.jobs``). Nothing here changes a tag: the apprentice picks a suggestion on the
tagging form and still writes the justification; the tag records the suggestion's rank.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from showcase import db
from showcase.evidence.models import Evidence, EvidenceTag
from showcase.portfolios.models import Apprenticeship
from showcase.standards.models import Standard, StandardReference
from showcase.standards.services import doc_for
from showcase.suggest import rank
from showcase.suggest.models import EvidenceText, ExtractionStatus

log = logging.getLogger(__name__)

#: Suggestions shown on the tagging form and offered by the API.
SHOWN = 5
#: Coverage hints look at this many of the learner's most recent items at most: the work per
#: page is bounded whatever the size of the portfolio.
HINT_ITEMS = 60
#: The same with the model (semantic or combined): embedding an item's sentences costs tens of
#: milliseconds on a CPU where BM25 costs well under one, so fewer items are looked at.
HINT_ITEMS_WITH_MODEL = 15
#: A hint names an item only when the gap's unit is among the item's first few suggestions,
#: and the item shares words with the unit (a passage to show).
HINT_RANK = 3


def catalogue_for(standard: Standard) -> rank.Catalogue:
    """The rankers' view of a standard version, keyed by its file's hash."""
    return rank.Catalogue(standard.file_sha256, rank.units_of(doc_for(standard)))


def ranker_for(config: Mapping[str, Any]) -> str:
    """The ranker the configuration asks for, falling back to lexical without the extra."""
    wanted = str(config.get("SUGGEST_RANKER", "auto"))
    installed = rank.semantic_installed()
    if wanted == "auto":
        return "combined" if installed else "lexical"
    if wanted not in rank.RANKERS:
        raise ValueError(f"SUGGEST_RANKER must be auto or one of {', '.join(rank.RANKERS)}")
    return wanted if wanted == "lexical" or installed else "lexical"


def own_words(item: Evidence) -> str:
    """What the apprentice (or witness) wrote about the item: its description."""
    return (item.description or "").strip()


def item_text(item: Evidence, extracted: EvidenceText | None) -> str:
    """Everything the rankers read: title, description, the file's text."""
    parts = [item.title or "", own_words(item)]
    if extracted is not None and extracted.status == ExtractionStatus.DONE:
        parts.append(extracted.text)
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def has_text(item: Evidence, extracted: EvidenceText | None) -> bool:
    """Whether there is anything besides the title (often just a file name) to rank on."""
    return bool(own_words(item)) or (
        extracted is not None and extracted.status == ExtractionStatus.DONE
    )


@dataclass(frozen=True)
class ItemSuggestions:
    """What the tagging form and the API show for one item."""

    suggestions: list[rank.Suggestion]
    ranker: str
    has_text: bool
    extraction: EvidenceText | None
    #: True while a file's text has not been read yet (the job is queued).
    reading: bool = False
    tagged: frozenset[str] = field(default_factory=frozenset)


def _rank_safely(catalogue: rank.Catalogue, text: str, ranker: str, limit: int):
    """Rank; if the semantic model fails to load or run, fall back to lexical (and log)."""
    try:
        return rank.rank(catalogue, text, ranker=ranker, limit=limit), ranker
    except Exception:
        if ranker == "lexical":
            raise
        log.exception("The %s ranker failed; suggesting with the lexical ranker", ranker)
        return rank.rank(catalogue, text, ranker="lexical", limit=limit), "lexical"


def suggest_for_item(
    item: Evidence, config: Mapping[str, Any], *, limit: int = SHOWN
) -> ItemSuggestions:
    """The first ``limit`` units the item most likely shows, without those already tagged."""
    extracted = db.session.get(EvidenceText, item.id)
    ranker = ranker_for(config)
    tagged = frozenset(t.reference.ref for t in item.tags if t.removed_at is None)
    reading = item.file_id is not None and (
        extracted is None or extracted.file_sha256 != item.file.sha256
    )
    if not has_text(item, extracted):
        return ItemSuggestions([], ranker, False, extracted, reading, tagged)
    catalogue = catalogue_for(item.apprenticeship.standard)
    found, ranker = _rank_safely(catalogue, item_text(item, extracted), ranker, limit + len(tagged))
    shown = [s for s in found if s.ref not in tagged][:limit]
    return ItemSuggestions(shown, ranker, True, extracted, reading, tagged)


@dataclass(frozen=True)
class Hint:
    """An item of the learner's that may show a unit they have not covered yet."""

    ref: str
    number: str
    module_title: str
    evidence_id: int
    title: str
    passage: str
    pieces: tuple[tuple[str, bool], ...]
    rank: int


def coverage_hints(
    apprenticeship: Apprenticeship, gap_refs: Iterable[str], config: Mapping[str, Any]
) -> dict[str, Hint]:
    """For each gap, the learner's item that most likely shows it (by ref; absent: none).

    Bounded work: two queries (the HINT_ITEMS most recent items with their texts, and their
    tags), one ranking per item (cached per text), never a query or a ranking per gap.
    """
    gaps = set(gap_refs)
    if not gaps:
        return {}
    ranker = ranker_for(config)
    rows = db.session.execute(
        select(Evidence, EvidenceText)
        .outerjoin(EvidenceText, EvidenceText.evidence_id == Evidence.id)
        .where(Evidence.apprenticeship_id == apprenticeship.id, Evidence.deleted_at.is_(None))
        .order_by(Evidence.created_at.desc(), Evidence.id.desc())
        .limit(HINT_ITEMS if ranker == "lexical" else HINT_ITEMS_WITH_MODEL)
    ).all()
    if not rows:
        return {}
    tagged = set(
        db.session.execute(
            select(EvidenceTag.evidence_id, StandardReference.ref)
            .join(StandardReference, StandardReference.id == EvidenceTag.reference_id)
            .where(
                EvidenceTag.evidence_id.in_([item.id for item, _ in rows]),
                EvidenceTag.removed_at.is_(None),
            )
        ).all()
    )
    catalogue = catalogue_for(apprenticeship.standard)
    best: dict[str, Hint] = {}
    for item, extracted in rows:
        if not has_text(item, extracted):
            continue
        found, _ = _rank_safely(catalogue, item_text(item, extracted), ranker, HINT_RANK)
        for s in found:
            if s.ref not in gaps or (item.id, s.ref) in tagged or not s.passage:
                continue
            if s.ref not in best or s.rank < best[s.ref].rank:
                best[s.ref] = Hint(
                    s.ref,
                    s.number,
                    s.module_title,
                    item.id,
                    item.title,
                    s.passage,
                    s.pieces,
                    s.rank,
                )
    return best
