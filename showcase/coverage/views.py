"""Coverage pages: summary and gaps, the evidence matrix, the chart over time.

The cohort dashboard, which reads coverage and the review schedule, is ``showcase.dashboard``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from showcase.coverage import services
from showcase.coverage.forecast import METHOD, forecast_for
from showcase.errors import ValidationFailed
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.standards import sufficiency
from showcase.standards.services import rules_for

bp = Blueprint("coverage", __name__)

STATUS_LABELS = {"accepted": "Accepted", "pending": "Awaiting tutor", "sent_back": "Sent back"}
#: Shown beside the colour so status never depends on colour alone.
STATUS_ICONS = {"accepted": "✓", "pending": "…", "sent_back": "↩"}


def parse_as_of(value: str | None, today: dt.date) -> dt.date:
    """The ``as_of`` query parameter, today when absent; never in the future."""
    if not value:
        return today
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("Give the date as YYYY-MM-DD.", field="as_of") from None
    return min(day, today)


@bp.app_template_global()
def coverage_status(status: str) -> dict:
    """Label and icon of a tag status, for templates."""
    return {"label": STATUS_LABELS[status], "icon": STATUS_ICONS[status], "key": status}


@bp.app_template_global()
def gap_groups(report: sufficiency.Report) -> list[sufficiency.GapGroup]:
    """The report's gaps grouped by reason and remedy, for templates."""
    return sufficiency.group_gaps(report)


@bp.get("/apprenticeships/<int:apprenticeship_id>/coverage")
@login_required
def show(apprenticeship_id: int) -> str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    today = dt.date.today()
    as_of = parse_as_of(request.args.get("as_of"), today)
    report = services.report_at(apprenticeship, as_of, today)
    progress = services.progress(
        rules_for(apprenticeship.standard),
        apprenticeship.start_date,
        as_of,
        report.overall.covered,
        report.overall.total,
    )
    # The review points on this page come from the reviews blueprint's template global.
    return render_template(
        "coverage/show.html",
        apprenticeship=apprenticeship,
        report=report,
        as_of=as_of,
        today=today,
        months=progress.months,
        expected=progress.expected,
        pace=progress.pace,
        # Today's forecast only: a past date shows coverage as it stood, not a projection.
        forecast=forecast_for(apprenticeship, today, report=report) if as_of == today else None,
        forecast_method=METHOD,
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/coverage/matrix")
@login_required
def matrix(apprenticeship_id: int) -> str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    return render_template(
        "coverage/matrix.html",
        apprenticeship=apprenticeship,
        report=services.live_report(apprenticeship),
        cells=services.matrix(apprenticeship),
    )


@dataclass(frozen=True)
class Chart:
    """Coordinates of the coverage-over-time chart, in the SVG's own units."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    line: str
    expected: str | None
    dots: list[tuple[float, float, services.SeriesPoint]]
    #: (x, months) of each review point marked on the time axis.
    markers: list[tuple[float, int]]
    gridlines: list[tuple[float, int]]


def chart_for(
    start: dt.date, points: list[services.SeriesPoint], gateway_months: int | None
) -> Chart:
    """Lay out the chart: x is time from the start, y is the share covered (0–100%)."""
    # A small canvas, so labels stay legible when the SVG shrinks to a 390 px phone.
    width, height, left, top, right, bottom = 480, 300, 52, 16, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    end_months = max(gateway_months or 12, points[-1].month + 1, 12)
    end = sufficiency.add_months(start, end_months)
    span = max((end - start).days, 1)

    def x(day: dt.date) -> float:
        return round(left + plot_w * (day - start).days / span, 1)

    def y(share: float) -> float:
        return round(top + plot_h * (1 - share), 1)

    dots = [(x(p.day), y(p.share), p) for p in points]
    expected = None
    if gateway_months:
        gateway = sufficiency.add_months(start, gateway_months)
        expected = f"{x(start)},{y(0)} {x(gateway)},{y(1)} {x(end)},{y(1)}"
    markers = [(x(sufficiency.add_months(start, m)), m) for m in (3, 6, 9, 12) if m <= end_months]
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=plot_w,
        plot_height=plot_h,
        line=" ".join(f"{px},{py}" for px, py, _ in dots),
        expected=expected,
        dots=dots,
        markers=markers,
        gridlines=[(y(share / 100), share) for share in (0, 25, 50, 75, 100)],
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/coverage/history")
@login_required
def history(apprenticeship_id: int) -> str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    today = dt.date.today()
    points = services.coverage_series(apprenticeship, today)
    rules = rules_for(apprenticeship.standard)
    last = points[-1]
    return render_template(
        "coverage/history.html",
        apprenticeship=apprenticeship,
        points=points,
        chart=chart_for(apprenticeship.start_date, points, rules.gateway_min_months),
        gateway_months=rules.gateway_min_months,
        pace=last.pace,
        last=last,
    )
