"""The cohort dashboard page and its CSV download."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user, login_required

from showcase.coverage.forecast import METHOD
from showcase.dashboard import services
from showcase.web import csv_cell

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required
def index() -> str:
    today = dt.date.today()
    after = services.Cursor.parse(request.args.get("after"))
    page = services.dashboard(current_user, today, after=after)
    return render_template(
        "dashboard/index.html",
        page=page,
        rows=page.rows,
        after=after,
        today=today,
        forecast_method=METHOD,
        # url_for once, not three times per row: it dominates a long page otherwise.
        base=url_for("portfolios.apprenticeship", apprenticeship_id=0)[:-1],
    )


CSV_HEADER = [
    "apprenticeship_id",
    "apprentice",
    "standard",
    "start_date",
    "covered",
    "total",
    "coverage_percent",
    "expected_percent",
    "pace",
    "gaps_by_module",
    "next_review_month",
    "next_review_due",
    "overdue_reviews",
    "months_to_gateway",
    "stage",
    "planned_end_date",
    "forecast",
    "forecast_earliest",
    "forecast_likely",
    "forecast_latest",
    "forecast_rag",
    "otj_hours_approved",
    "otj_hours_expected",
    "otj_pace",
]


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


@bp.get("/dashboard.csv")
@login_required
def download_csv() -> Response:
    today = dt.date.today()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in services.all_rows(current_user, today):
        forecast, hours = row.forecast, row.hours
        writer.writerow(
            csv_cell(value)
            for value in [
                row.apprenticeship_id,
                row.apprentice_name,
                row.standard_key,
                row.start_date.isoformat(),
                row.covered,
                row.total,
                row.percent,
                "" if row.expected_percent is None else row.expected_percent,
                row.pace,
                row.gaps_summary,
                row.next_review.month if row.next_review else "",
                row.next_review.due.isoformat() if row.next_review else "",
                " ".join(f"{p.month}m" for p in row.overdue),
                "" if row.months_to_gateway is None else row.months_to_gateway,
                row.stage.value,
                _date(row.planned_end),
                forecast.status if forecast else "",
                _date(forecast.earliest if forecast else None),
                _date(forecast.likely if forecast else None),
                _date(forecast.latest if forecast else None),
                (forecast.rag or "") if forecast else "",
                services.format_hours(hours.approved_hours) if hours else "",
                services.format_hours(hours.expected_hours) if hours else "",
                hours.pace if hours else "",
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="cohort-{today}.csv"'},
    )
