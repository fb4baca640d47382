"""Where an apprenticeship stands: on programme → gateway → with the assessor → graded.

The one notion of the stage every page, list and API answer uses (the home to-do lists, the
cohort dashboard, the apprenticeship page), so no page calls a graded apprentice "behind" or
"eligible". It needs the submissions' and the assessments' state, so it lives here, in the
highest domain it reads; the dashboard and the home pages sit above it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select

from showcase import db
from showcase.assessment.models import Assessment, AssessmentStatus
from showcase.assessment.services import released_at_column
from showcase.portfolios.models import Apprenticeship
from showcase.standards.grading import grade_words
from showcase.submissions.models import Submission, SubmissionStatus


class Stage(enum.StrEnum):
    ON_PROGRAMME = "on_programme"
    GATEWAY = "gateway"
    WITH_ASSESSOR = "with_assessor"
    GRADED = "graded"

    @property
    def label(self) -> str:
        return {
            "on_programme": "On programme",
            "gateway": "At gateway",
            "with_assessor": "With the assessor",
            "graded": "Graded",
        }[self.value]

    @property
    def learning(self) -> bool:
        """Still building the portfolio: pace, reviews and sent-back tags still matter."""
        return self in (Stage.ON_PROGRAMME, Stage.GATEWAY)


@dataclass(frozen=True)
class Standing:
    """An apprenticeship's stage with the facts behind it (all None while on programme)."""

    stage: Stage
    submission_id: int | None = None
    locked_at: dt.datetime | None = None
    assessment_id: int | None = None
    assessment_status: AssessmentStatus | None = None
    grade: str | None = None
    #: When the grade was released to the apprentice's side (the graded stage's date).
    graded_at: dt.datetime | None = None

    @property
    def text(self) -> str:
        """ "Graded: pass", "With the assessor (second review)"…: the words every page shows."""
        if self.stage is Stage.GRADED and self.grade:
            return f"Graded: {grade_words(self.grade)}"
        if self.assessment_status is AssessmentStatus.SECOND_REVIEW:
            return "With the assessor (second review)"
        if self.stage is Stage.WITH_ASSESSOR and self.assessment_id is None:
            return "With the assessment organisation"
        return self.stage.label


ON_PROGRAMME = Standing(Stage.ON_PROGRAMME)


def stage_from(submission_status: SubmissionStatus | None, released: bool) -> Stage:
    """The stage from the latest showcase version's state and its grade's release (pure).

    No showcase started: on programme. A draft: at the gateway. Locked: with the assessor (also
    while the assessment organisation has still to assign one, while quality assurance samples
    a confirmed grade, and during a second review a quality assurer asked for). A released
    grade (``services.released_at_column``): graded.
    """
    if submission_status is None:
        return Stage.ON_PROGRAMME
    if submission_status is SubmissionStatus.DRAFT:
        return Stage.GATEWAY
    if released:
        return Stage.GRADED
    return Stage.WITH_ASSESSOR


def _latest_version() -> Any:
    return (
        select(func.max(Submission.version))
        .where(Submission.apprenticeship_id == Apprenticeship.id)
        .correlate(Apprenticeship)
        .scalar_subquery()
    )


#: The columns ``join_standing`` adds, in the order ``standing_from_row`` reads them.
STANDING_COLUMNS = (
    Submission.id,
    Submission.status,
    Submission.locked_at,
    Assessment.id,
    Assessment.status,
    Assessment.final_grade,
    released_at_column(),
)


def join_standing(stmt: Select) -> Select:
    """``stmt`` (a select from ``Apprenticeship``) with each row's latest showcase version and
    its assessment outer-joined, adding ``STANDING_COLUMNS`` at the end: lists that already
    read the apprenticeships get the stage without another query."""
    return (
        stmt.add_columns(*STANDING_COLUMNS)
        .outerjoin(
            Submission,
            and_(
                Submission.apprenticeship_id == Apprenticeship.id,
                Submission.version == _latest_version(),
            ),
        )
        .outerjoin(Assessment, Assessment.submission_id == Submission.id)
    )


def standing_from_row(values: Sequence[Any]) -> Standing:
    """The standing from the last ``len(STANDING_COLUMNS)`` values of a ``join_standing`` row."""
    sub_id, sub_status, locked_at, a_id, a_status, grade, released_at = values[
        -len(STANDING_COLUMNS) :
    ]
    if sub_id is None:
        return ON_PROGRAMME
    stage = stage_from(sub_status, released_at is not None)
    return Standing(
        stage=stage,
        submission_id=sub_id,
        locked_at=locked_at,
        assessment_id=a_id,
        assessment_status=a_status,
        grade=grade if stage is Stage.GRADED else None,
        graded_at=released_at if stage is Stage.GRADED else None,
    )


def standings(where: ColumnElement[bool]) -> dict[int, Standing]:
    """Each apprenticeship matching ``where`` (a clause on ``Apprenticeship``), by id. One query,
    whatever the number."""
    rows = db.session.execute(join_standing(select(Apprenticeship.id).where(where))).all()
    return {row[0]: standing_from_row(row) for row in rows}


def standing_of(apprenticeship_id: int) -> Standing:
    """One apprenticeship's standing (one query)."""
    return standings(Apprenticeship.id == apprenticeship_id).get(apprenticeship_id, ON_PROGRAMME)


def standings_for(ids: Iterable[int]) -> dict[int, Standing]:
    """Standings of the given apprenticeships, every id present (one query)."""
    wanted = list(ids)
    found = standings(Apprenticeship.id.in_(wanted)) if wanted else {}
    return {i: found.get(i, ON_PROGRAMME) for i in wanted}
