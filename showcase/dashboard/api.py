"""The cohort dashboard in the JSON API."""

from __future__ import annotations

import datetime as dt

from flask import request
from flask_login import current_user
from pydantic import BaseModel, Field

from showcase.api import bp, responses, spec, text
from showcase.coverage.api import ForecastOut, serialise_forecast
from showcase.dashboard import services


class ReviewDueOut(BaseModel):
    month: int
    due: dt.date


class HoursOut(BaseModel):
    """Off-the-job training hours: approved against expected by today."""

    approved: float
    expected: float
    planned: float | None
    #: on_track, behind or no_plan.
    pace: str
    #: Past months ("2026-09") without approved active learning.
    months_without_activity: list[str]


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
    planned_end_date: dt.date | None
    #: The gateway forecast (without the blocking units: see /apprenticeships/{id}/forecast);
    #: null past the gateway.
    forecast: ForecastOut | None
    hours: HoursOut | None


class DashboardQuery(BaseModel):
    after: text(40) | None = Field(
        default=None, description="The 'next' of the previous page: where this page starts."
    )
    limit: int = Field(default=services.PAGE_SIZE, ge=1, le=services.MAX_PAGE_SIZE)


class DashboardOut(BaseModel):
    items: list[DashboardRowOut]
    #: Pass as ``after`` for the next page; null on the last page.
    next: str | None
    #: Apprentices in the whole cohort, and before this page.
    total: int
    offset: int


@bp.get("/dashboard")
@spec.validate(query=DashboardQuery, resp=responses(403, HTTP_200=DashboardOut), tags=["coverage"])
def get_dashboard() -> DashboardOut:
    """The caller's cohort, a page at a time (oldest start first): coverage, gaps by module,
    reviews due, time to gateway, the gateway forecast and off-the-job hours."""
    query: DashboardQuery = request.context.query  # type: ignore[attr-defined]
    page = services.dashboard(
        current_user, after=services.Cursor.parse(query.after), limit=query.limit
    )
    items = []
    for row in page.rows:
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
                planned_end_date=row.planned_end,
                forecast=serialise_forecast(row.forecast) if row.forecast else None,
                hours=HoursOut(
                    approved=float(row.hours.approved_hours),
                    expected=float(row.hours.expected_hours),
                    planned=float(row.hours.planned_hours)
                    if row.hours.planned_hours is not None
                    else None,
                    pace=row.hours.pace,
                    months_without_activity=list(row.hours.months_without_activity),
                )
                if row.hours
                else None,
            )
        )
    return DashboardOut(
        items=items,
        next=str(page.next_cursor) if page.next_cursor else None,
        total=page.total,
        offset=page.offset,
    )
