"""`flask coverage …`: rebuild and check the maintained rollup and the forecast's stored days."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from showcase import db
from showcase.coverage.days import all_stored_days, refresh_days
from showcase.coverage.models import CoverageRollup, CoverageSummary
from showcase.coverage.rollup import rebuild

coverage_cli = AppGroup("coverage", help="Coverage rollup maintenance.")

_COMPARED = (
    "module_key",
    "tag_count",
    "accepted_count",
    "pending_count",
    "sent_back_count",
    "third_party_count",
    "third_party_accepted_count",
    "kinds",
    "is_covered",
)


def rollup_state() -> dict[tuple, tuple]:
    """The rollup and summary tables' contents, without timestamps, for comparisons."""
    table = CoverageRollup.__table__
    rows = db.session.execute(
        select(table.c.apprenticeship_id, table.c.reference_id, *(table.c[c] for c in _COMPARED))
    )
    state: dict[tuple, tuple] = {(r[0], r[1]): tuple(r[2:]) for r in rows}
    for summary in db.session.execute(
        select(
            CoverageSummary.apprenticeship_id,
            CoverageSummary.covered_count,
            CoverageSummary.module_covered,
        )
    ):
        state[("summary", summary[0])] = (summary[1], sorted(summary[2].items()))
    return state


@coverage_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute the rollup and the forecast's stored days from every tag; report rows that had
    drifted."""
    before = rollup_state()
    written = rebuild(db.session)
    after = rollup_state()
    days_before = all_stored_days()
    days_written = refresh_days(recompute=True)
    days_after = all_stored_days()
    db.session.commit()
    drifted = _drifted(before, after)
    click.echo(f"Rebuilt {written} rollup rows; {drifted} differed from the maintained table.")
    # Rows dropped for falling out of the window are not drift, nor are rows not written yet.
    changed = sum(1 for key, n in days_before.items() if key in days_after and days_after[key] != n)
    filled = len(days_after.keys() - days_before.keys())
    click.echo(
        f"Rebuilt {days_written} forecast day rows ({filled} were missing); "
        f"{changed} differed from the stored table."
    )


def _drifted(before: dict, after: dict) -> int:
    return sum(1 for key in before.keys() | after.keys() if before.get(key) != after.get(key))
