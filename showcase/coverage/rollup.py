"""Keeps ``coverage_rollups`` in step with evidence and tags, inside the flush that changes them.

A session ``after_flush`` listener notices new, changed or deleted ``EvidenceTag`` rows and
``Evidence`` rows whose kind, apprenticeship or deletion changed, and recomputes the affected
(apprenticeship, unit) rows with a few set-based statements on the flush's own connection. The
evidence services need no change, and the rollup commits or rolls back with the change itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, case, delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session

from showcase.coverage.models import CoverageRollup, CoverageSummary
from showcase.db import utcnow
from showcase.evidence.models import Evidence, EvidenceTag, TagStatus
from showcase.portfolios.models import Apprenticeship
from showcase.standards import sufficiency
from showcase.standards.models import Standard, StandardReference
from showcase.standards.services import rules_for


def _live() -> Any:
    return and_(EvidenceTag.removed_at.is_(None), Evidence.deleted_at.is_(None))


def recompute(
    conn: Connection,
    standards: dict[int, Standard],
    apprenticeship_ids: Iterable[int] | None = None,
    reference_ids: Iterable[int] | None = None,
) -> int:
    """Rewrite the rollup rows of apprenticeships × references (all of them when both are None).

    Every pair that has any tag row (even a removed one) gets a row, so rebuilding from scratch
    and maintaining incrementally give the same table. Returns the number of rows written.
    """
    where = []
    if apprenticeship_ids is not None:
        where.append(Evidence.apprenticeship_id.in_(list(apprenticeship_ids)))
    if reference_ids is not None:
        where.append(EvidenceTag.reference_id.in_(list(reference_ids)))
    keys = (
        Evidence.apprenticeship_id,
        Apprenticeship.standard_id,
        EvidenceTag.reference_id,
        StandardReference.ref,
        StandardReference.module_key,
        Evidence.kind,
        EvidenceTag.status,
    )
    rows = conn.execute(
        select(*keys, func.sum(case((_live(), 1), else_=0)))
        .select_from(EvidenceTag)
        .join(Evidence, EvidenceTag.evidence_id == Evidence.id)
        .join(Apprenticeship, Evidence.apprenticeship_id == Apprenticeship.id)
        .join(StandardReference, EvidenceTag.reference_id == StandardReference.id)
        .where(*where)
        .group_by(*keys)
    ).all()
    grouped: dict[tuple[int, int], list] = defaultdict(list)
    for row in rows:
        grouped[(row[0], row[2])].append(row)
    values = []
    for (apprenticeship_id, reference_id), group in grouped.items():
        standard_id, ref, module_key = group[0][1], group[0][3], group[0][4]
        rules = rules_for(standards[standard_id])
        try:
            rule = rules.unit(ref)
        except KeyError:  # a criterion ref: tags only ever point at units, but be safe
            continue
        facts = [
            sufficiency.TagFact(ref, 0, str(kind), TagStatus(status).value)
            for *_, kind, status, live_count in group
            for _ in range(int(live_count or 0))
        ]
        counts = sufficiency.tally(facts, rule.third_party_kinds)
        values.append(
            {
                "apprenticeship_id": apprenticeship_id,
                "reference_id": reference_id,
                "module_key": module_key,
                "tag_count": counts.tag_count,
                "accepted_count": counts.accepted,
                "pending_count": counts.pending,
                "sent_back_count": counts.sent_back,
                "third_party_count": counts.third_party,
                "third_party_accepted_count": counts.third_party_accepted,
                "kinds": ",".join(counts.kinds),
                "is_covered": sufficiency.is_covered(rule, counts),
            }
        )
    table = CoverageRollup.__table__
    stmt = delete(table)
    if apprenticeship_ids is not None:
        stmt = stmt.where(table.c.apprenticeship_id.in_(list(apprenticeship_ids)))
    if reference_ids is not None:
        stmt = stmt.where(table.c.reference_id.in_(list(reference_ids)))
    conn.execute(stmt)
    if values:
        now = utcnow()
        for value in values:
            value["updated_at"] = now
        conn.execute(insert(table), values)
    summarise(conn, apprenticeship_ids)
    return len(values)


def summarise(conn: Connection, apprenticeship_ids: Iterable[int] | None = None) -> None:
    """Rewrite the per-apprenticeship summaries from the rollup rows (all when None)."""
    rollup, summary = CoverageRollup.__table__, CoverageSummary.__table__
    covered = func.sum(case((rollup.c.is_covered, 1), else_=0))
    stmt = select(rollup.c.apprenticeship_id, rollup.c.module_key, covered).group_by(
        rollup.c.apprenticeship_id, rollup.c.module_key
    )
    delete_stmt = delete(summary)
    if apprenticeship_ids is not None:
        ids = list(apprenticeship_ids)
        stmt = stmt.where(rollup.c.apprenticeship_id.in_(ids))
        delete_stmt = delete_stmt.where(summary.c.apprenticeship_id.in_(ids))
    modules: dict[int, dict[str, int]] = {}
    for apprenticeship_id, module_key, count in conn.execute(stmt):
        counts = modules.setdefault(apprenticeship_id, {})
        if count:
            counts[module_key] = int(count)
    conn.execute(delete_stmt)
    if modules:
        now = utcnow()
        conn.execute(
            insert(summary),
            [
                {
                    "apprenticeship_id": apprenticeship_id,
                    "covered_count": sum(counts.values()),
                    "module_covered": dict(sorted(counts.items())),
                    "updated_at": now,
                }
                for apprenticeship_id, counts in modules.items()
            ],
        )


def _changed(obj: Evidence, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session: Session, _context: Any) -> None:
    tags: list[EvidenceTag] = []
    items: list[Evidence] = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, EvidenceTag):
            tags.append(obj)
        elif isinstance(obj, Evidence) and (
            obj in session.deleted
            or (obj not in session.new and _changed(obj, "kind", "deleted_at", "apprenticeship_id"))
        ):
            items.append(obj)
    if not tags and not items:
        return
    conn = session.connection()
    apprenticeship_ids: set[int] = {e.apprenticeship_id for e in items}
    reference_ids: set[int] = {t.reference_id for t in tags}
    evidence_ids = {t.evidence_id for t in tags}
    for evidence_id in evidence_ids:
        # The identity map usually holds the item already; only strays cost a query.
        item = session.get(Evidence, evidence_id)
        if item is not None:
            apprenticeship_ids.add(item.apprenticeship_id)
    if items:
        reference_ids.update(
            conn.scalars(
                select(EvidenceTag.reference_id).where(
                    EvidenceTag.evidence_id.in_([e.id for e in items])
                )
            )
        )
    if not apprenticeship_ids or not reference_ids:
        return
    # Serialise rollup maintenance per apprenticeship. Under READ COMMITTED two transactions
    # tagging one apprenticeship would each recompute without the other's uncommitted tags, and
    # the later one would collide with (or overwrite) the earlier's rows. Once this row lock is
    # ours the other has committed, and the statements below see its tags. NO KEY UPDATE leaves
    # inserts that merely reference the apprenticeship (new evidence) unblocked; SQLite, with
    # one writer at a time, renders no lock.
    standard_ids = set(
        conn.scalars(
            select(Apprenticeship.standard_id)
            .where(Apprenticeship.id.in_(apprenticeship_ids))
            .order_by(Apprenticeship.id)
            .with_for_update(key_share=True)
        )
    )
    standards = {sid: session.get(Standard, sid) for sid in standard_ids}
    recompute(conn, standards, apprenticeship_ids, reference_ids)


def rebuild(session: Session) -> int:
    """Recompute the whole rollup from the tags (``flask coverage rebuild``); flushes only."""
    session.flush()
    standards = {s.id: s for s in session.scalars(select(Standard))}
    return recompute(session.connection(), standards)


def register() -> None:
    """Listen on every Session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
