"""Importing standards into the database and reading them back: the parsed ``StandardDoc`` and
the coverage rules drawn from it, each cached by file hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from showcase import db
from showcase.errors import Conflict
from showcase.standards import sufficiency
from showcase.standards.files import load_text
from showcase.standards.models import ReferenceKind, Standard, StandardReference
from showcase.standards.schema import StandardDoc


def read_file(path: Path) -> tuple[StandardDoc, str]:
    """Validate a data file; return the document and the file's SHA-256."""
    text = Path(path).read_text(encoding="utf-8")
    return load_text(text, Path(path).name), hashlib.sha256(text.encode()).hexdigest()


def import_standard(doc: StandardDoc, file_sha256: str) -> tuple[Standard, str]:
    """Insert or update one standard version; refs already in use keep their rows.

    Returns the row and what happened: "created", "updated" or "unchanged". A re-import may
    change texts, but may not drop a ref (evidence may be tagged to it): publish a new version.
    """
    standard = db.session.scalar(
        select(Standard).where(Standard.code == doc.code, Standard.version == doc.version)
    )
    if standard is not None and standard.file_sha256 == file_sha256:
        return standard, "unchanged"
    outcome = "updated" if standard else "created"
    if standard is None:
        standard = Standard(code=doc.code, version=doc.version)
        db.session.add(standard)
    standard.title = doc.title
    standard.jurisdiction = doc.jurisdiction
    standard.level = str(doc.level) if doc.level is not None else None
    standard.scheme = doc.scheme
    standard.document = json.loads(doc.model_dump_json())
    standard.file_sha256 = file_sha256
    db.session.flush()

    existing = {
        r.ref: r
        for r in db.session.scalars(
            select(StandardReference).where(StandardReference.standard_id == standard.id)
        )
    }
    wanted: dict[str, dict] = {}
    for unit in doc.units():
        wanted[unit.ref] = {
            "kind": ReferenceKind.UNIT,
            "module_key": unit.module_key,
            "number": unit.number,
            "method_key": None,
            "level": None,
            "text": unit.text,
            "is_uncertain": unit.uncertain is not None,
        }
    for criterion in doc.criteria():
        wanted[criterion.ref] = {
            "kind": ReferenceKind.CRITERION,
            "module_key": criterion.module_key,
            "number": None,
            "method_key": criterion.method_key,
            "level": criterion.level,
            "text": criterion.text,
            "is_uncertain": criterion.uncertain is not None,
        }
    dropped = sorted(set(existing) - set(wanted))
    if dropped:
        raise Conflict(
            f"{doc.code}/{doc.version}: the file drops references that already exist "
            f"({', '.join(dropped[:5])}{'…' if len(dropped) > 5 else ''}). "
            "Publish the change as a new version of the standard instead."
        )
    for position, (ref, values) in enumerate(wanted.items()):
        row = existing.get(ref)
        if row is None:
            row = StandardReference(standard=standard, ref=ref)
            db.session.add(row)
        for name, value in values.items():
            setattr(row, name, value)
        row.position = position
    db.session.flush()
    return standard, outcome


def import_bundled() -> list[tuple[Standard, str]]:
    """Import every data file shipped with the app."""
    from showcase.standards.files import bundled_files

    results = []
    for path in bundled_files():
        doc, sha = read_file(path)
        results.append(import_standard(doc, sha))
    return results


#: Parsed documents by file SHA-256. Immutable data keyed by content, so every process may
#: keep its own copy without any cross-process state.
_parsed: dict[str, StandardDoc] = {}


def doc_for(standard: Standard) -> StandardDoc:
    """The parsed document of an imported standard (parsed once per process per content hash)."""
    doc = _parsed.get(standard.file_sha256)
    if doc is None:
        doc = _parsed[standard.file_sha256] = StandardDoc.model_validate(standard.document)
    return doc


_rules: dict[str, sufficiency.StandardRules] = {}


def rules_for(standard: Standard) -> sufficiency.StandardRules:
    """The coverage rules of a standard, cached by file hash (an imported file never changes)."""
    rules = _rules.get(standard.file_sha256)
    if rules is None:
        rules = _rules[standard.file_sha256] = sufficiency.rules_from_doc(doc_for(standard))
    return rules


def list_standards() -> list[Standard]:
    return list(db.session.scalars(select(Standard).order_by(Standard.code, Standard.version)))
