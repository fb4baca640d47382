"""The cohort dashboard page and its CSV download."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, render_template, url_for
from flask_login import current_user, login_required

from showcase.dashboard import services

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required
def index() -> str:
    today = dt.date.today()
    return render_template(
        "dashboard/index.html",
        rows=services.dashboard(current_user, today),
        today=today,
        # url_for once, not three times per row: it dominates a 1,000-row page otherwise.
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
]


#: First characters that make a spreadsheet read a cell as a formula or split it: = + - @ start
#: formulas (CSV injection), tab and carriage return hide them, ; and | are field separators
#: in some spreadsheets' CSV import.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", ";", "|")


def _cell(value: object) -> object:
    # Prefixed with a quote, the spreadsheet shows the text as typed.
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


@bp.get("/dashboard.csv")
@login_required
def download_csv() -> Response:
    today = dt.date.today()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in services.dashboard(current_user, today):
        writer.writerow(
            _cell(value)
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
            ]
        )
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="cohort-{today}.csv"'},
    )
