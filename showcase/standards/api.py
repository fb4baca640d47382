"""Standards in the JSON API: the list, and each standard's full validated document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from showcase.api import bp, responses, spec
from showcase.standards import services
from showcase.standards.loaders import get_standard_or_404


class StandardSummary(BaseModel):
    code: str
    version: str
    title: str
    jurisdiction: str
    level: str | None
    scheme: str
    units: int
    criteria: int


class StandardList(BaseModel):
    items: list[StandardSummary]


class StandardDocument(BaseModel):
    """The standard's data file as validated JSON (see showcase/standards/schema.py)."""

    code: str
    version: str
    document: dict[str, Any]
    gaps: list[dict[str, Any]]


@bp.get("/standards")
@spec.validate(resp=responses(HTTP_200=StandardList), tags=["standards"])
def list_standards() -> StandardList:
    """Every imported standard version."""
    items = []
    for standard in services.list_standards():
        doc = services.doc_for(standard)
        items.append(
            StandardSummary(
                code=standard.code,
                version=standard.version,
                title=standard.title,
                jurisdiction=standard.jurisdiction,
                level=standard.level,
                scheme=standard.scheme,
                units=len(doc.units()),
                criteria=len(doc.criteria()),
            )
        )
    return StandardList(items=items)


@bp.get("/standards/<code>/<version>")
@spec.validate(resp=responses(HTTP_200=StandardDocument), tags=["standards"])
def get_standard(code: str, version: str) -> StandardDocument:
    """One standard: modules, criteria, methods, grading rules, gaps and uncertain readings."""
    standard = get_standard_or_404(code, version)
    doc = services.doc_for(standard)
    return StandardDocument(
        code=standard.code,
        version=standard.version,
        document=standard.document,
        gaps=[
            {"where": g.where, "field": g.field, "kind": g.kind, "reason": g.reason}
            for g in doc.gaps()
        ],
    )
