"""Progress review pages: the review points, one review to record and sign."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from showcase import db
from showcase.accounts.models import User
from showcase.coverage.services import report_at
from showcase.errors import ValidationFailed
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
from showcase.reviews import services
from showcase.reviews.forms import ActionForm, FollowUpForm, NotesForm, SignForm
from showcase.reviews.models import SIGNER_LABELS, SIGNERS, ActionOutcome
from showcase.reviews.permissions import can_edit_review, can_record_review, can_sign_review
from showcase.standards import sufficiency
from showcase.standards.services import rules_for

bp = Blueprint("reviews", __name__)


@bp.app_template_global()
def review_schedule(apprenticeship: Apprenticeship, today: dt.date) -> list[services.ReviewPoint]:
    """The apprenticeship's review points, for pages of other blueprints (the coverage page).

    A template global, so coverage, which reviews build on, need not import reviews back.
    """
    return services.review_points(apprenticeship, services.list_reviews(apprenticeship), today)


@bp.get("/apprenticeships/<int:apprenticeship_id>/reviews")
@login_required
def index(apprenticeship_id: int) -> str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    today = dt.date.today()
    points = services.review_points(apprenticeship, services.list_reviews(apprenticeship), today)
    return render_template(
        "reviews/index.html", apprenticeship=apprenticeship, points=points, today=today
    )


def _parties(apprenticeship: Apprenticeship) -> list[User]:
    return [apprenticeship.apprentice, apprenticeship.line_manager, apprenticeship.tutor]


def _action_form(apprenticeship: Apprenticeship, **kwargs: object) -> ActionForm:
    form = ActionForm(**kwargs)
    labels = {
        apprenticeship.apprentice_id: "apprentice",
        apprenticeship.line_manager_id: "line manager",
        apprenticeship.tutor_id: "tutor",
    }
    form.owner_id.choices = [
        SelectChoice(p.id, f"{p.name} ({labels[p.id]})") for p in _parties(apprenticeship)
    ]
    return form


def _render(apprenticeship_id: int, month: int, action_form: ActionForm | None = None) -> str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    due = services.due_date(apprenticeship, month)
    review = services.find_review(apprenticeship, month)
    today = dt.date.today()
    if review is not None and review.is_frozen:
        snap = review.snapshot or {}
        report = None
        held_on = review.held_on
    else:
        held_on = review.held_on if review else today
        report = report_at(apprenticeship, held_on, today)
        snap = sufficiency.snapshot(report)
    earlier = services.previous_review(apprenticeship.id, month)
    before = earlier.snapshot if earlier is not None else None
    followups = {f.action_id: f for f in review.followups} if review else {}
    followup_forms = {
        a.id: FollowUpForm(
            prefix=f"followup-{a.id}",
            formdata=None,
            outcome=followups[a.id].outcome.value if a.id in followups else None,
            note=followups[a.id].note if a.id in followups else "",
        )
        for a in (earlier.actions if earlier else [])
    }
    rules = rules_for(apprenticeship.standard)
    return render_template(
        "reviews/show.html",
        apprenticeship=apprenticeship,
        month=month,
        due=due,
        today=today,
        review=review,
        held_on=held_on,
        report=report,
        snap=snap,
        since=sufficiency.changes(before, snap),
        units=rules.by_ref,
        signers=[(s, SIGNER_LABELS[s]) for s in SIGNERS],
        can_record=can_record_review(current_user, apprenticeship)
        and (review is None or can_edit_review(current_user, review)),
        can_sign=can_sign_review(current_user, apprenticeship, review),
        earlier=earlier,
        followups=followups,
        followup_forms=followup_forms,
        notes_form=NotesForm(notes=review.notes if review else ""),
        action_form=action_form
        or _action_form(apprenticeship, formdata=None, due_date=today + dt.timedelta(days=28)),
        sign_form=SignForm(),
    )


@bp.get("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>")
@login_required
def show(apprenticeship_id: int, month: int) -> str:
    return _render(apprenticeship_id, month)


def _here(apprenticeship_id: int, month: int) -> Response:
    return redirect(url_for("reviews.show", apprenticeship_id=apprenticeship_id, month=month))


@bp.post("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/notes")
@login_required
def save_notes(apprenticeship_id: int, month: int) -> Response | str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    form = NotesForm()
    if not form.validate_on_submit():
        raise ValidationFailed("The notes could not be saved; keep them under 20,000 characters.")
    review = services.ensure_review(current_user, apprenticeship, month)
    services.save_notes(current_user, review, form.notes.data or "")
    flash("Notes saved.", "success")
    return _here(apprenticeship_id, month)


@bp.post("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/followups/<int:action_id>")
@login_required
def record_followup(apprenticeship_id: int, month: int, action_id: int) -> Response:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    form = FollowUpForm(prefix=f"followup-{action_id}")
    if not form.validate_on_submit():
        raise ValidationFailed(
            "Choose what became of the action; keep the note under 1,000 characters.",
            field="outcome",
        )
    review = services.ensure_review(current_user, apprenticeship, month)
    services.record_followup(
        current_user, review, action_id, ActionOutcome(form.outcome.data), form.note.data or ""
    )
    flash("Follow-up recorded.", "success")
    return _here(apprenticeship_id, month)


@bp.post("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/actions")
@login_required
def add_action(apprenticeship_id: int, month: int) -> Response | str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    form = _action_form(apprenticeship)
    if form.validate_on_submit():
        owner = next(p for p in _parties(apprenticeship) if p.id == form.owner_id.data)
        try:
            review = services.ensure_review(current_user, apprenticeship, month)
            services.add_action(
                current_user, review, text=form.text.data, owner=owner, due=form.due_date.data
            )
        except ValidationFailed as error:
            db.session.rollback()
            getattr(form, error.field or "text").errors.append(error.message)
        else:
            flash("Action recorded.", "success")
            return _here(apprenticeship_id, month)
    return _render(apprenticeship_id, month, action_form=form)


@bp.post("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/sign")
@login_required
def sign(apprenticeship_id: int, month: int) -> Response:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    if not SignForm().validate_on_submit():
        raise ValidationFailed("The form expired; reload the page and sign again.")
    review = services.ensure_review(current_user, apprenticeship, month)
    services.sign_review(current_user, review)
    if review.is_frozen:
        flash("Signed. Everyone has signed: the review is saved as evidence.", "success")
    else:
        flash("Signed.", "success")
    return _here(apprenticeship_id, month)
