"""Coverage endpoints of the JSON API (the cohort dashboard's are in ``showcase.dashboard``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from flask import request
from flask_login import current_user
from pydantic import BaseModel

from showcase.api import bp, responses, spec
from showcase.coverage import services
from showcase.coverage.forecast import METHOD, Forecast, forecast_for
from showcase.coverage.views import parse_as_of
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.standards import sufficiency


class GapOut(BaseModel):
    kind: str
    reason: str
    action: str


class UnitOut(BaseModel):
    ref: str
    module: str
    number: str
    tags: int
    accepted: int
    pending: int
    sent_back: int
    third_party_accepted: int
    kinds: list[str]
    covered: bool
    gap: GapOut | None


class GroupOut(BaseModel):
    key: str
    title: str
    covered: int
    total: int
    percent: int


class CoverageOut(BaseModel):
    apprenticeship_id: int
    as_of: dt.date
    overall: GroupOut
    modules: list[GroupOut]
    methods: list[GroupOut]
    units: list[UnitOut]


class CoverageQuery(BaseModel):
    as_of: dt.date | None = None


def _group(group: sufficiency.GroupCoverage) -> GroupOut:
    return GroupOut(
        key=group.key,
        title=group.title,
        covered=group.covered,
        total=group.total,
        percent=group.percent,
    )


def serialise_report(apprenticeship_id: int, report: sufficiency.Report) -> CoverageOut:
    return CoverageOut(
        apprenticeship_id=apprenticeship_id,
        as_of=report.as_of,
        overall=_group(report.overall),
        modules=[_group(m) for m in report.modules],
        methods=[_group(g) for g in report.groups],
        units=[
            UnitOut(
                ref=u.rule.ref,
                module=u.rule.module_key,
                number=u.rule.number,
                tags=u.tally.tag_count,
                accepted=u.tally.accepted,
                pending=u.tally.pending,
                sent_back=u.tally.sent_back,
                third_party_accepted=u.tally.third_party_accepted,
                kinds=list(u.tally.kinds),
                covered=u.covered,
                gap=GapOut(kind=u.gap.kind, reason=u.gap.reason, action=u.gap.action)
                if u.gap
                else None,
            )
            for u in report.units
        ],
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/coverage")
@spec.validate(query=CoverageQuery, resp=responses(HTTP_200=CoverageOut), tags=["coverage"])
def get_coverage(apprenticeship_id: int) -> CoverageOut:
    """Coverage per unit, module, method and overall, as of a date (default today)."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    today = dt.date.today()
    as_of = parse_as_of(request.args.get("as_of"), today)
    return serialise_report(apprenticeship.id, services.report_at(apprenticeship, as_of, today))


class ForecastPointOut(BaseModel):
    day: dt.date
    covered: int


class BlockerOut(BaseModel):
    ref: str
    number: str
    module: str
    unit: str
    #: Accepted items the unit still needs.
    needed: int
    #: Its tags waiting for the tutor.
    pending: int


class ForecastOut(BaseModel):
    #: ready (every gateway unit covered), forecast (dates given), no_progress (no date at the
    #: recent pace) or not_enough_history (too little history: no number at all).
    status: Literal["ready", "forecast", "no_progress", "not_enough_history"]
    summary: str
    method: str
    as_of: dt.date
    #: Units the gateway needs, covered now, and still to cover.
    covered: int
    total: int
    remaining: int
    #: Weeks of history the pace was measured over, and its points.
    weeks: int
    series: list[ForecastPointOut]
    #: Units a week: the Theil-Sen median and the quartiles of the pairwise rates.
    pace: float | None
    pace_low: float | None
    pace_high: float | None
    earliest: dt.date | None
    likely: dt.date | None
    #: Null with status forecast: no later bound at the slower pace.
    latest: dt.date | None
    planned_end: dt.date | None
    #: Against the planned end; null without a planned end date or without a forecast.
    rag: Literal["green", "amber", "red"] | None
    rag_words: str
    #: Uncovered gateway units, those needing most first (empty on the dashboard).
    blockers: list[BlockerOut]


def serialise_forecast(forecast: Forecast) -> ForecastOut:
    pace = forecast.pace
    return ForecastOut(
        status=forecast.status,
        summary=forecast.summary,
        method=METHOD,
        as_of=forecast.today,
        covered=forecast.covered,
        total=forecast.total,
        remaining=forecast.remaining,
        weeks=forecast.weeks,
        series=[ForecastPointOut(day=day, covered=n) for day, n in forecast.series],
        pace=pace.median if pace else None,
        pace_low=pace.low if pace else None,
        pace_high=pace.high if pace else None,
        earliest=forecast.earliest,
        likely=forecast.likely,
        latest=forecast.latest,
        planned_end=forecast.planned_end,
        rag=forecast.rag,
        rag_words=forecast.rag_words,
        blockers=[
            BlockerOut(
                ref=b.ref,
                number=b.number,
                module=b.module_title,
                unit=b.text,
                needed=b.needed,
                pending=b.pending,
            )
            for b in forecast.blockers
        ],
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/forecast")
@spec.validate(resp=responses(HTTP_200=ForecastOut), tags=["coverage"])
def get_forecast(apprenticeship_id: int) -> ForecastOut:
    """When every unit the gateway needs would be covered at the recent pace, with a range,
    red / amber / green against the planned end date and the units that hold it back."""
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    return serialise_forecast(forecast_for(apprenticeship, dt.date.today()))
