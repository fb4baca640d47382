"""``coverage_days``: gateway units covered at the end of each closed day the forecast samples.

The forecast (``showcase.coverage.forecast``) samples today and the same weekday in each of the
last ``WEEKS`` weeks. Every sampled day but today is *closed*: its end has passed, and coverage
at the end of a closed day never changes, because tag decisions, removals and deletions are
stamped with the time they happen. So the count for each (apprenticeship, closed day) is
computed once, from the accepted spells by exactly the forecast's rule
(``forecast.covered_series``), and stored; the cohort dashboard then reads a dozen small rows per
apprentice instead of every tag event, and takes today's point from the maintained rollup.

Who writes the rows — never a page. A GET's transaction is rolled back (``showcase.db``), so a
page that filled the table would lose the rows; instead:

* the daily ``coverage-days`` job (``refresh_all``, on ``COVERAGE_DAYS_CRON``) adds the day
  that just closed for every apprenticeship and drops rows older than the window. A sampled day
  is at least a week old, so the job has six days of slack before a page needs its row;
* ``flask coverage rebuild`` recomputes the whole window and reports rows that had drifted.

The dashboard uses the rows when a learner has all of them and computes the forecast from the
spells (the exact path) for any learner missing one (new, invalidated, or the job not run yet),
so a missing row costs time, never a wrong answer.

What would change the past — an item's activity date, kind, recording time or apprenticeship
edited, an item or tag hard-deleted, a backdated tag event, a change of standard — deletes the
apprenticeship's rows in the same flush (``_after_flush``), and the exact path serves it until
the job refills them. Bulk ``UPDATE`` statements bypass the listener: run the rebuild after one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, event, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from showcase import db
from showcase.coverage import forecast as fc
from showcase.coverage.models import CoverageDay
from showcase.evidence.models import Evidence, EvidenceTag, TagEvent
from showcase.portfolios.models import Apprenticeship
from showcase.standards.models import Standard
from showcase.standards.services import rules_for

#: Apprenticeships whose spells are read at once (bounds the memory of one refresh step).
BATCH = 100


def window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day rows are kept for: the oldest day the forecast samples, and the
    last day already over (by UTC, the clock tag events are stamped with) and before ``today``."""
    closed = db.utcnow().date() - dt.timedelta(days=1)
    return today - dt.timedelta(weeks=fc.WEEKS), min(today - dt.timedelta(days=1), closed)


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


def _upsert(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(CoverageDay).values(rows)
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[CoverageDay.apprenticeship_id, CoverageDay.day],
            set_={"units_covered": stmt.excluded.units_covered},
        )
    )


def refresh_days(
    apprenticeship_ids: Sequence[int] | None = None,
    today: dt.date | None = None,
    *,
    recompute: bool = False,
) -> int:
    """Write the missing rows of the window (every row when ``recompute``) for these
    apprenticeships (all when None), drop rows older than the window; flushes, never commits.
    Returns the number of rows written; a second call writes none."""
    today = today or dt.date.today()
    first, last = window(today)
    where = (
        []
        if apprenticeship_ids is None
        else [CoverageDay.apprenticeship_id.in_(apprenticeship_ids)]
    )
    db.session.execute(delete(CoverageDay).where(CoverageDay.day < first, *where))
    query = select(Apprenticeship.id, Apprenticeship.start_date, Apprenticeship.standard_id)
    if apprenticeship_ids is not None:
        query = query.where(Apprenticeship.id.in_(apprenticeship_ids))
    enrolled = db.session.execute(query.order_by(Apprenticeship.id)).all()
    rules = {
        s.id: rules_for(s)
        for s in db.session.scalars(
            select(Standard).where(Standard.id.in_({r.standard_id for r in enrolled}))
        )
    }
    written = 0
    for at in range(0, len(enrolled), BATCH):
        written += _refresh_batch(enrolled[at : at + BATCH], rules, first, last, recompute)
    db.session.flush()
    return written


def _refresh_batch(
    enrolled: Sequence[Any], rules: dict, first: dt.date, last: dt.date, recompute: bool
) -> int:
    have: set[tuple[int, dt.date]] = set()
    if not recompute:
        have = {
            (ident, day)
            for ident, day in db.session.execute(
                select(CoverageDay.apprenticeship_id, CoverageDay.day).where(
                    CoverageDay.apprenticeship_id.in_([r.id for r in enrolled]),
                    CoverageDay.day >= first,
                )
            )
        }
    wanted = {
        r.id: [d for d in _days(max(first, r.start_date), last) if (r.id, d) not in have]
        for r in enrolled
    }
    wanted = {ident: days for ident, days in wanted.items() if days}
    if not wanted:
        return 0
    spells = fc.load_spells(sorted(wanted), min(days[0] for days in wanted.values()))
    rows = []
    for r in enrolled:
        days = wanted.get(r.id)
        if not days:
            continue
        units = fc.gateway_units(rules[r.standard_id])
        counts = fc.covered_series(units, spells.get(r.id, ()), days)
        rows += [
            {"apprenticeship_id": r.id, "day": d, "units_covered": n}
            for d, n in zip(days, counts, strict=True)
        ]
    _upsert(rows)
    return len(rows)


def refresh_all() -> int:
    """The daily job: the day just closed for every apprenticeship (and any other missing row)."""
    return refresh_days()


def all_stored_days() -> dict[tuple[int, dt.date], int]:
    """Every stored row, for comparisons (``flask coverage rebuild``)."""
    rows = db.session.execute(
        select(CoverageDay.apprenticeship_id, CoverageDay.day, CoverageDay.units_covered)
    )
    return {(a, d): n for a, d, n in rows}


# ------------------------------------------------------------------------ invalidation


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _old_and_new(obj: Any, name: str) -> set[Any]:
    history = inspect(obj).attrs[name].history
    return {v for v in (*history.deleted, *history.added, *history.unchanged) if v is not None}


def _evidence_of(session: Session, tag_id: int | None) -> Evidence | None:
    tag = session.get(EvidenceTag, tag_id) if tag_id is not None else None
    return session.get(Evidence, tag.evidence_id) if tag is not None else None


def _touched(session: Session) -> set[int]:
    """Apprenticeships whose past coverage this flush changes."""
    today_began = dt.datetime.combine(db.utcnow().date(), dt.time(), tzinfo=dt.UTC)
    found: set[int] = set()
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Evidence) and (
            obj in session.deleted
            or _changed(obj, "kind", "activity_date", "created_at", "apprenticeship_id")
            or (
                _changed(obj, "deleted_at")
                and (obj.deleted_at is None or obj.deleted_at < today_began)
            )
        ):
            found |= _old_and_new(obj, "apprenticeship_id")
        elif isinstance(obj, EvidenceTag) and (
            obj in session.deleted or _changed(obj, "evidence_id", "reference_id")
        ):
            item = session.get(Evidence, obj.evidence_id)
            if item is not None:
                found.add(item.apprenticeship_id)
        elif isinstance(obj, Apprenticeship) and _changed(obj, "standard_id"):
            found.add(obj.id)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if (
            isinstance(obj, TagEvent)
            and obj.at is not None
            and (
                obj in session.deleted
                or obj.at < today_began
                or (obj in session.dirty and _changed(obj, "at"))
            )
        ):
            item = _evidence_of(session, obj.tag_id)
            if item is not None:
                found.add(item.apprenticeship_id)
    return found


def _after_flush(session: Session, _context: Any) -> None:
    touched = _touched(session)
    if touched:
        session.connection().execute(
            delete(CoverageDay).where(CoverageDay.apprenticeship_id.in_(sorted(touched)))
        )


def register() -> None:
    """Listen on every Session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
