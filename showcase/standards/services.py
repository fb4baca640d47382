"""Importing standards into the database and reading them back: the parsed ``StandardDoc`` and
the coverage rules drawn from it, each cached by file hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import String, cast, func, select

from showcase import db
from showcase.accounts.models import User
from showcase.audit.services import record
from showcase.errors import Conflict, Forbidden
from showcase.standards import sufficiency
from showcase.standards.files import load_text
from showcase.standards.models import (
    ReferenceKind,
    Standard,
    StandardReference,
    StandardSupplement,
    SupplementCriterion,
)
from showcase.standards.permissions import can_manage_supplements
from showcase.standards.schema import StandardDoc
from showcase.standards.supplements import (
    SupplementFile,
    apply_supplement,
    check_supplement,
    load_supplement,
)


def read_file(path: Path) -> tuple[StandardDoc, str]:
    """Validate a data file; return the document and the file's SHA-256."""
    text = Path(path).read_text(encoding="utf-8")
    return load_text(text, Path(path).name), hashlib.sha256(text.encode()).hexdigest()


def import_standard(
    doc: StandardDoc, file_sha256: str, *, changes: list[str] | None = None
) -> tuple[Standard, str]:
    """Insert or update one standard version; refs already in use keep their rows.

    Returns the row and what happened: "created", "updated" or "unchanged". A re-import may not
    drop a ref, nor change the words of a unit or criterion that anything references (a tag, a
    judgement, a gap note, a training or witness record): publish a new version. It may fix the
    wording of what nothing references; each such change is appended to ``changes`` (when
    given) and audited.
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

    supplements = _supplement_refs(standard)
    existing = {
        r.ref: r
        for r in db.session.scalars(
            select(StandardReference).where(StandardReference.standard_id == standard.id)
        )
        if r.ref not in supplements
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
    dropped = sorted(set(existing) - set(wanted) - _supplement_refs(standard))
    if dropped:
        raise Conflict(
            f"{doc.code}/{doc.version}: the file drops references that already exist "
            f"({', '.join(dropped[:5])}{'…' if len(dropped) > 5 else ''}). "
            "Publish the change as a new version of the standard instead."
        )
    reworded = [
        row for ref, row in existing.items() if ref in wanted and row.text != wanted[ref]["text"]
    ]
    in_use = referenced(reworded)
    if in_use:
        shown = ", ".join(in_use[:8]) + ("…" if len(in_use) > 8 else "")
        raise Conflict(
            f"{doc.code}/{doc.version}: the file changes the words of units or criteria that "
            f"tags, judgements or records already point to ({shown}). Their words cannot change "
            "within a version: publish the change as a new version of the standard instead."
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
    if reworded:
        lines = [f"{row.ref}: wording changed (nothing references it)" for row in reworded]
        if changes is not None:
            changes.extend(lines)
        record(None, "standard.reworded", standard, refs=[row.ref for row in reworded])
    return standard, outcome


#: Rows that point at a reference only as derived data (rebuilt from the tags), or that link a
#: supplement's criteria: not a claim on the reference's words.
_DERIVED = {"coverage_rollups", "standard_supplement_criteria"}


def referenced(rows: list[StandardReference]) -> list[str]:
    """The refs among ``rows`` that anything points to: a foreign key from any table (tags,
    judgements, gap notes… found from the schema, so a new kind is covered without change
    here) or a ``unit_refs`` list (training entries, witness requests)."""
    if not rows:
        return []
    ids = {row.id: row.ref for row in rows}
    found: set[str] = set()
    for table in db.Base.metadata.tables.values():
        if table.name in _DERIVED:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "standard_references" and fk.column.name == "id":
                column = fk.parent
                used = db.session.scalars(select(column).where(column.in_(ids)).distinct())
                found.update(ids[i] for i in used)
        if "unit_refs" in table.c:
            text = cast(table.c.unit_refs, String)
            for ref in set(ids.values()) - found:
                hit = db.session.scalar(
                    select(func.count()).select_from(table).where(text.contains(f'"{ref}"'))
                )
                if hit:
                    found.add(ref)
    return sorted(found)


def _supplement_refs(standard: Standard) -> set[str]:
    """Refs of criteria that supplements added to ``standard``: never the plan's to drop."""
    return set(
        db.session.scalars(
            select(StandardReference.ref)
            .join(SupplementCriterion, SupplementCriterion.reference_id == StandardReference.id)
            .where(StandardReference.standard_id == standard.id)
        )
    )


def import_bundled(*, changes: list[str] | None = None) -> list[tuple[Standard, str]]:
    """Import every data file shipped with the app."""
    from showcase.standards.files import bundled_files

    results = []
    for path in bundled_files():
        doc, sha = read_file(path)
        results.append(import_standard(doc, sha, changes=changes))
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


# ----------------------------------------------------------------------------- supplements


def import_supplement(
    actor: User, standard: Standard, text: str, filename: str
) -> tuple[StandardSupplement, bool]:
    """An assessment organisation's admin imports a supplement for a standard version.

    Validated by its schema and refused if it gives anything the plan states; each upload of a
    changed file is a new version (older ones are kept). Returns the row and whether it is new
    (False: the file is the organisation's latest version byte for byte; nothing changed).
    """
    if not can_manage_supplements(actor):
        raise Forbidden("Only an assessment organisation's administrator imports its criteria.")
    assert actor.organisation is not None  # can_manage_supplements checked it
    spec = load_supplement(text, filename)
    check_supplement(doc_for(standard), spec, filename)
    sha = hashlib.sha256(text.encode()).hexdigest()
    latest = latest_supplement(standard, actor.organisation_id)
    if latest is not None and latest.file_sha256 == sha:
        return latest, False
    row = StandardSupplement(
        standard=standard,
        organisation_id=actor.organisation_id,
        version=(latest.version + 1) if latest else 1,
        title=spec.title,
        is_illustrative=spec.illustrative,
        document=json.loads(spec.model_dump_json()),
        file_sha256=sha,
        filename=filename[:255],
        uploaded_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    merged = supplemented_doc(standard, row)
    start = (
        db.session.scalar(
            select(func.max(StandardReference.position)).where(
                StandardReference.standard_id == standard.id
            )
        )
        or 0
    ) + 1
    added = [c for c in merged.criteria() if c.supplement is not None]
    for offset, criterion in enumerate(added):
        reference = StandardReference(
            standard=standard,
            ref=criterion.ref,
            kind=ReferenceKind.CRITERION,
            module_key=criterion.module_key,
            number=None,
            method_key=criterion.method_key,
            level=criterion.level,
            text=criterion.text,
            is_uncertain=False,
            position=start + offset,
        )
        db.session.add(reference)
        db.session.add(SupplementCriterion(supplement=row, reference=reference))
    db.session.flush()
    record(
        actor,
        "standard.supplement_imported",
        row,
        standard=standard.key,
        version=row.version,
        criteria=len(added),
        illustrative=row.is_illustrative,
    )
    return row, True


def latest_supplement(standard: Standard, organisation_id: int | None) -> StandardSupplement | None:
    """The organisation's newest supplement for the standard version, if any."""
    if organisation_id is None:
        return None
    return db.session.scalar(
        select(StandardSupplement)
        .where(
            StandardSupplement.standard_id == standard.id,
            StandardSupplement.organisation_id == organisation_id,
        )
        .order_by(StandardSupplement.version.desc())
        .limit(1)
    )


def supplements_of(standard: Standard) -> list[StandardSupplement]:
    """Every supplement of a standard version, by organisation, newest version first."""
    return list(
        db.session.scalars(
            select(StandardSupplement)
            .where(StandardSupplement.standard_id == standard.id)
            .order_by(StandardSupplement.organisation_id, StandardSupplement.version.desc())
        )
    )


#: Merged documents by everything they are made of (never by row id: SQLite may reuse the id
#: of a row whose transaction rolled back).
_merged: dict[tuple[str, str, int, str, int], StandardDoc] = {}


def supplemented_doc(standard: Standard, supplement: StandardSupplement) -> StandardDoc:
    """The plan merged with one supplement version, for grading (cached by content)."""
    key = (
        standard.file_sha256,
        supplement.file_sha256,
        supplement.organisation_id,
        supplement.organisation.name,
        supplement.version,
    )
    doc = _merged.get(key)
    if doc is None:
        doc = _merged[key] = apply_supplement(
            doc_for(standard),
            SupplementFile.model_validate(supplement.document),
            organisation=supplement.organisation.name,
            organisation_id=supplement.organisation_id,
            version=supplement.version,
        )
    return doc


def grading_doc(
    standard: Standard,
    organisation_id: int | None,
    judged_refs: set[str] | frozenset[str] = frozenset(),
) -> StandardDoc:
    """The document an assessment organisation grades with: the plan, merged with that
    organisation's supplement when it has one; other organisations' never apply.

    An assessment that already judged criteria of one version keeps grading with that version,
    so a newer upload never orphans judgements made meanwhile; otherwise the newest applies.
    """
    if organisation_id is None:
        return doc_for(standard)
    pinned = None
    if judged_refs:
        pinned = db.session.scalar(
            select(StandardSupplement)
            .join(SupplementCriterion, SupplementCriterion.supplement_id == StandardSupplement.id)
            .join(StandardReference, StandardReference.id == SupplementCriterion.reference_id)
            .where(
                StandardSupplement.standard_id == standard.id,
                StandardSupplement.organisation_id == organisation_id,
                StandardReference.ref.in_(judged_refs),
            )
            .order_by(StandardSupplement.version.desc())
            .limit(1)
        )
    supplement = pinned or latest_supplement(standard, organisation_id)
    if supplement is None:
        return doc_for(standard)
    return supplemented_doc(standard, supplement)


def criterion_applies(
    standard: Standard,
    reference: StandardReference,
    organisation_id: int | None,
    judged_refs: set[str] | frozenset[str] = frozenset(),
) -> bool:
    """Whether an assessment by ``organisation_id`` may judge ``reference``: every criterion of
    the plan, and a supplement's only when it is in the document that organisation grades with
    (its own supplement, the version its judgements already use)."""
    owned = db.session.scalar(
        select(SupplementCriterion.supplement_id).where(
            SupplementCriterion.reference_id == reference.id
        )
    )
    if owned is None:
        return True
    doc = grading_doc(standard, organisation_id, judged_refs)
    return reference.ref in {c.ref for c in doc.criteria()}
