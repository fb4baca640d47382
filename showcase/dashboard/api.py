"""The cohort dashboard in the JSON API."""

from __future__ import annotations

import datetime as dt

from flask_login import current_user
from pydantic import BaseModel

from showcase.api import bp, responses, spec
from showcase.dashboard import services


class ReviewDueOut(BaseModel):
    month: int
    due: dt.date


class DashboardRowOut(BaseModel):
    apprenticeship_id: int
    apprentice: str
    standard: str
    covered: int
    total: int
    percent: int
    expected_percent: int | None
    pace: str
    gaps_by_module: dict[str, int]
    next_review: ReviewDueOut | None
    overdue_reviews: list[ReviewDueOut]
    months_to_gateway: int | None
    #: on_programme, gateway, with_assessor or graded; past the gateway, pace is "unknown" and
    #: months_to_gateway and the review fields are empty.
    stage: str


class DashboardOut(BaseModel):
    items: list[DashboardRowOut]


@bp.get("/dashboard")
@spec.validate(resp=responses(403, HTTP_200=DashboardOut), tags=["coverage"])
def get_dashboard() -> DashboardOut:
    """The caller's cohort: coverage, gaps by module, reviews due and time to gateway."""
    items = []
    for row in services.dashboard(current_user):
        items.append(
            DashboardRowOut(
                apprenticeship_id=row.apprenticeship_id,
                apprentice=row.apprentice_name,
                standard=row.standard_key,
                covered=row.covered,
                total=row.total,
                percent=row.percent,
                expected_percent=row.expected_percent,
                pace=row.pace,
                gaps_by_module=dict(row.module_gaps),
                next_review=ReviewDueOut(month=row.next_review.month, due=row.next_review.due)
                if row.next_review
                else None,
                overdue_reviews=[ReviewDueOut(month=p.month, due=p.due) for p in row.overdue],
                months_to_gateway=row.months_to_gateway,
                stage=row.stage.value,
            )
        )
    return DashboardOut(items=items)
