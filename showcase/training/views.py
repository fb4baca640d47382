"""Off-the-job training pages: the log, logging and correcting an entry, the tutor's approval
queue, the plan (administrators), the employer's statement and the CSV exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from showcase import db
from showcase.errors import Forbidden, ShowcaseError, ValidationFailed
from showcase.evidence.models import Evidence
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
from showcase.standards.services import rules_for
from showcase.training import hours as arithmetic
from showcase.training import services
from showcase.training.forms import (
    EntryForm,
    PlanForm,
    PriorLearningForm,
    ReviewEntryForm,
    StatementForm,
)
from showcase.training.loaders import get_entry_or_404
from showcase.training.models import TrainingEntry
from showcase.training.permissions import (
    can_edit_entry,
    can_log_training,
    can_plan_training,
    can_review_entry,
    can_sign_statement,
)
from showcase.training.rules import kind_label
from showcase.web import csv_cell, flash_form_errors, form_post

bp = Blueprint("training", __name__)


@bp.app_template_global()
def training_kind_label(key: str) -> str:
    return kind_label(key)


@bp.app_template_global()
def training_month_label(key: str) -> str:
    return arithmetic.month_label(key)


@bp.app_template_global()
def training_hours_text(minutes: int) -> str:
    return arithmetic.hours_text(minutes)


@bp.get("/apprenticeships/<int:apprenticeship_id>/training")
@login_required
def log(apprenticeship_id: int) -> str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    today = dt.date.today()
    status = services.hours_status(apprenticeship, today)
    entries = services.list_entries([apprenticeship.id])
    return render_template(
        "training/log.html",
        apprenticeship=apprenticeship,
        today=today,
        status=status,
        months=services.month_rows(apprenticeship, status, today),
        entries=entries,
        statement=services.statement_for(apprenticeship, status, today),
        statement_form=StatementForm(formdata=None),
        review_forms={
            e.id: ReviewEntryForm(prefix=f"entry-{e.id}", formdata=None)
            for e in entries
            if can_review_entry(current_user, e)
        },
        can_log=can_log_training(current_user, apprenticeship),
        can_plan=can_plan_training(current_user, apprenticeship),
        can_sign=can_sign_statement(current_user, apprenticeship),
        can_edit=lambda e: can_edit_entry(current_user, e),
        units=rules_for(apprenticeship.standard).by_ref,
    )


def _entry_form(apprenticeship: Apprenticeship, **kwargs: object) -> EntryForm:
    form = EntryForm(**kwargs)
    rules = rules_for(apprenticeship.standard)
    form.unit_refs.choices = [(u.ref, f"{u.number} {u.text}") for u in rules.units]
    items = db.session.scalars(
        select(Evidence)
        .where(Evidence.apprenticeship_id == apprenticeship.id, Evidence.deleted_at.is_(None))
        .order_by(Evidence.activity_date.desc(), Evidence.id.desc())
    )
    form.evidence_id.choices = [(0, "None")] + [(e.id, e.title) for e in items]
    return form


def _details(form: EntryForm) -> services.EntryDetails:
    return services.EntryDetails(
        activity_date=form.activity_date.data,
        minutes=(form.hours.data or 0) * 60 + (form.minutes.data or 0),
        kind=form.kind.data,
        description=form.description.data or "",
        unit_refs=tuple(form.unit_refs.data or ()),
        evidence_id=form.evidence_id.data or None,
    )


def _show_error(form: EntryForm, error: ShowcaseError) -> None:
    """Put a refusal beside its field (a 403 or 409 goes to the error pages instead)."""
    if error.status_code not in (400, 422):
        raise error
    db.session.rollback()
    getattr(form, error.field or "description", form.description).errors.append(error.message)


def _module_groups(apprenticeship: Apprenticeship) -> list[tuple[str, list]]:
    rules = rules_for(apprenticeship.standard)
    titles = {m.key: m.title for m in rules.modules}
    groups: dict[str, list] = {}
    for unit in rules.units:
        groups.setdefault(unit.module_key, []).append(unit)
    return [(titles.get(key, key), units) for key, units in groups.items()]


def _render_form(
    apprenticeship: Apprenticeship, form: EntryForm, entry: TrainingEntry | None
) -> str:
    return render_template(
        "training/entry_form.html",
        apprenticeship=apprenticeship,
        form=form,
        entry=entry,
        groups=_module_groups(apprenticeship),
        chosen=set(form.unit_refs.data or ()),
        today=dt.date.today(),
    )


@bp.route("/apprenticeships/<int:apprenticeship_id>/training/new", methods=["GET", "POST"])
@login_required
def new_entry(apprenticeship_id: int) -> str | BaseResponse:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    if not can_log_training(current_user, apprenticeship):
        raise Forbidden("Only the apprentice logs their off-the-job training.")
    form = _entry_form(apprenticeship)
    if request.method == "GET":
        form.activity_date.data = dt.date.today()
    if form.validate_on_submit():
        try:
            services.log_entry(current_user, apprenticeship, _details(form))
        except ShowcaseError as error:
            _show_error(form, error)
        else:
            flash("Logged. Your tutor will approve it or say what to change.", "success")
            return redirect(url_for("training.log", apprenticeship_id=apprenticeship.id))
    return _render_form(apprenticeship, form, None)


@bp.route("/training/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def edit_entry(entry_id: int) -> str | BaseResponse:
    entry = get_entry_or_404(current_user, entry_id)
    if not can_edit_entry(current_user, entry):
        if entry.is_frozen:
            raise services.EntryFrozen("The tutor approved this entry: it can no longer change.")
        raise Forbidden("Only the apprentice changes their own log.")
    apprenticeship = entry.apprenticeship
    if request.method == "GET":
        form = _entry_form(
            apprenticeship,
            formdata=None,
            activity_date=entry.activity_date,
            hours=entry.minutes // 60,
            minutes=entry.minutes % 60,
            kind=entry.kind,
            description=entry.description,
            unit_refs=list(entry.unit_refs or []),
            evidence_id=entry.evidence_id or 0,
        )
    else:
        form = _entry_form(apprenticeship)
        if form.validate_on_submit():
            was_returned = entry.status.value == "returned"
            try:
                services.edit_entry(current_user, entry, _details(form))
            except ShowcaseError as error:
                _show_error(form, error)
            else:
                flash("Sent back to your tutor." if was_returned else "Saved.", "success")
                return redirect(url_for("training.log", apprenticeship_id=apprenticeship.id))
    return _render_form(apprenticeship, form, entry)


@bp.post("/training/entries/<int:entry_id>/review")
@login_required
def review_entry(entry_id: int) -> BaseResponse:
    entry = get_entry_or_404(current_user, entry_id)
    form = ReviewEntryForm(prefix=f"entry-{entry.id}")
    if not form.validate_on_submit():
        flash_form_errors(form)
        raise ValidationFailed("The form expired or the comment is too long; try again.")
    decision = request.form.get("decision")
    comment = form.comment.data or ""
    if decision == "approve":
        with form_post("Approved."):
            services.approve_entry(current_user, entry, comment)
    elif decision == "return":
        with form_post("Returned to the apprentice with your comment."):
            services.return_entry(current_user, entry, comment)
    else:
        raise ValidationFailed("Choose Approve or Return.", field="decision")
    target = request.form.get("back")
    if target == "queue":
        return redirect(url_for("training.queue"))
    return redirect(url_for("training.log", apprenticeship_id=entry.apprenticeship_id))


@bp.get("/training/queue")
@login_required
def queue() -> str:
    entries = services.waiting_for(current_user)
    return render_template(
        "training/queue.html",
        entries=entries,
        review_forms={
            e.id: ReviewEntryForm(prefix=f"entry-{e.id}", formdata=None) for e in entries
        },
    )


@bp.post("/apprenticeships/<int:apprenticeship_id>/training/statement")
@login_required
def sign_statement(apprenticeship_id: int) -> BaseResponse:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    if not can_sign_statement(current_user, apprenticeship):
        raise Forbidden("The apprentice's line manager signs the statement for the employer.")
    form = StatementForm()
    if form.validate_on_submit():
        with form_post("Signed. The statement is kept with the training record."):
            services.sign_statement(current_user, apprenticeship, form.reason.data or "")
    else:
        flash_form_errors(form)
    return redirect(url_for("training.log", apprenticeship_id=apprenticeship.id) + "#statement")


# ---- the plan (administrators) ---------------------------------------------------------------


def _plan_page(
    apprenticeship: Apprenticeship, plan_form: PlanForm, rpl_form: PriorLearningForm
) -> str:
    today = dt.date.today()
    return render_template(
        "training/plan.html",
        apprenticeship=apprenticeship,
        plan_form=plan_form,
        rpl_form=rpl_form,
        prior=services.prior_learning(apprenticeship),
        status=services.hours_status(apprenticeship, today),
        rule=services.rule_of(apprenticeship),
    )


def _plan_target(apprenticeship_id: int) -> Apprenticeship:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    if not can_plan_training(current_user, apprenticeship):
        raise Forbidden(
            "Only administrators of the apprenticeship's employer or training provider change "
            "the plan."
        )
    return apprenticeship


@bp.route("/admin/apprenticeships/<int:apprenticeship_id>/training-plan", methods=["GET", "POST"])
@login_required
def plan(apprenticeship_id: int) -> str | BaseResponse:
    apprenticeship = _plan_target(apprenticeship_id)
    if request.method == "GET":
        plan_form = PlanForm(
            formdata=None,
            planned_end_date=apprenticeship.planned_end_date,
            planned_otj_hours=apprenticeship.planned_otj_hours,
        )
    else:
        plan_form = PlanForm()
        if plan_form.validate_on_submit():
            try:
                services.set_plan(
                    current_user,
                    apprenticeship,
                    planned_end_date=plan_form.planned_end_date.data,
                    planned_otj_hours=plan_form.planned_otj_hours.data,
                )
            except ValidationFailed as error:
                db.session.rollback()
                getattr(plan_form, error.field or "planned_end_date").errors.append(error.message)
            else:
                flash("Plan saved.", "success")
                return redirect(url_for("training.plan", apprenticeship_id=apprenticeship.id))
    return _plan_page(apprenticeship, plan_form, PriorLearningForm(formdata=None))


@bp.post("/admin/apprenticeships/<int:apprenticeship_id>/training-plan/prior-learning")
@login_required
def add_prior_learning(apprenticeship_id: int) -> str | BaseResponse:
    apprenticeship = _plan_target(apprenticeship_id)
    form = PriorLearningForm()
    if form.validate_on_submit():
        try:
            services.record_prior_learning(
                current_user, apprenticeship, hours=form.hours.data, reason=form.reason.data or ""
            )
        except ValidationFailed as error:
            db.session.rollback()
            getattr(form, error.field or "reason").errors.append(error.message)
        else:
            flash("Prior learning recorded: the planned hours are reduced.", "success")
            return redirect(url_for("training.plan", apprenticeship_id=apprenticeship.id))
    plan_form = PlanForm(
        formdata=None,
        planned_end_date=apprenticeship.planned_end_date,
        planned_otj_hours=apprenticeship.planned_otj_hours,
    )
    return _plan_page(apprenticeship, plan_form, form)


# ---- CSV -------------------------------------------------------------------------------------


def _csv(entries: Sequence[TrainingEntry], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(services.CSV_HEADER)
    for row in services.csv_rows(entries):
        writer.writerow(csv_cell(value) for value in row)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/training.csv")
@login_required
def log_csv(apprenticeship_id: int) -> Response:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    entries = services.list_entries([apprenticeship.id])
    return _csv(entries, f"training-{apprenticeship.id}-{dt.date.today()}.csv")


@bp.get("/training/cohort.csv")
@login_required
def cohort_csv() -> Response:
    entries = services.list_entries(services.cohort_ids(current_user))
    return _csv(entries, f"training-cohort-{dt.date.today()}.csv")
