"""Small helpers shared by the page views."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import flash
from flask_wtf import FlaskForm

from showcase import db
from showcase.errors import ShowcaseError

#: Statuses that mean "the form needs correcting": shown on the page. Refusals (403, 404, 409)
#: propagate to the error handlers instead, so a locked showcase answers 409 everywhere.
CORRECTABLE = (400, 413, 415, 422)


@contextmanager
def form_post(success: str | None = None) -> Iterator[None]:
    """Run a form's service call: flash ``success``, or roll back and flash why.

    The request's own end commits what the call did (``db.end_request_transaction``). A
    correctable refusal is answered with the page again (a redirect, not an error status), so
    its partial changes are rolled back here rather than left for that commit.
    """
    try:
        yield
    except ShowcaseError as error:
        if error.status_code not in CORRECTABLE:
            raise
        db.session.rollback()
        flash(error.message, "error")
    else:
        if success:
            flash(success, "success")


def flash_form_errors(form: FlaskForm) -> None:
    """Flash each field's first error, for forms posted from a page that shows many forms."""
    for name, errors in form.errors.items():
        flash(f"{getattr(form, name).label.text}: {errors[0]}", "error")


#: First characters that make a spreadsheet read a CSV cell as a formula or split it: = + - @
#: start formulas (CSV injection), tab and carriage return hide them, ; and | are field
#: separators in some spreadsheets' CSV import.
CSV_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", ";", "|")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as typed: text starting like a formula gets a quote."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_LEADS):
        return "'" + value
    return value
