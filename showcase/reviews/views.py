"""Progress review pages: the review points, one review to record and sign."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from showcase import db
from showcase.accounts.models import User
from showcase.coverage.forecast import METHOD, forecast_for
from showcase.coverage.services import report_at
from showcase.errors import ValidationFailed
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship
from showcase.reviews import services
from showcase.reviews.forms import (
    ActionForm,
    FollowUpForm,
    NotesForm,
    ScheduleForm,
    SectionForm,
    SignForm,
)
from showcase.reviews.models import SIGNER_LABELS, SIGNERS, ActionOutcome, ProgressReview
from showcase.reviews.permissions import (
    can_edit_review,
    can_record_review,
    can_schedule_review,
    can_sign_review,
    signer_role,
)
from showcase.standards import sufficiency
from showcase.standards.services import rules_for
from showcase.training.services import hours_status

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
        "reviews/index.html",
        apprenticeship=apprenticeship,
        points=points,
        today=today,
        when_text=services.when_text,
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


def _schedule_form(review: ProgressReview | None, **kwargs: object) -> ScheduleForm:
    if review is None or review.scheduled_at is None or "formdata" not in kwargs:
        return ScheduleForm(**kwargs)
    local = review.scheduled_at.astimezone(services.timezone()).replace(tzinfo=None)
    return ScheduleForm(
        starts_at=local,
        duration_minutes=review.duration_minutes,
        location=review.location,
        **kwargs,
    )


def _render(
    apprenticeship_id: int,
    month: int,
    action_form: ActionForm | None = None,
    schedule_form: ScheduleForm | None = None,
) -> str:
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
    sections = services.sections_for(current_user, apprenticeship, review)
    frozen_text = {r.key: r.text for r in review.sections} if review and review.is_frozen else {}
    role = signer_role(current_user, apprenticeship)
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
        sections=sections,
        frozen_text=frozen_text,
        section_forms={
            s.key: SectionForm(prefix=f"section-{s.key}", formdata=None, text=s.text)
            for s in sections
            if s.can_write
        },
        own_empty=[s for s in sections if s.writer == role and not s.is_system and not s.text],
        waiting=services.waiting_text(services.missing_sections(review))
        if review is not None and not review.is_frozen
        else "",
        hours=None if frozen_text else hours_status(apprenticeship, today),
        hours_line=services.hours_text,
        month_names=services.month_names,
        # Today's forecast on an open review; a signed one keeps the line it had (progress).
        forecast=None if frozen_text else forecast_for(apprenticeship, today, report=report),
        forecast_method=METHOD,
        next_review=frozen_text.get("next_review")
        or services.next_review_text(apprenticeship, month),
        can_schedule=can_schedule_review(current_user, apprenticeship)
        and not (review and review.is_frozen),
        schedule_form=schedule_form or _schedule_form(review, formdata=None),
        when_text=services.when_text,
        timezone_name=services.timezone().key,
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


@bp.post("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/sections/<key>")
@login_required
def save_section(apprenticeship_id: int, month: int, key: str) -> Response:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    form = SectionForm(prefix=f"section-{key}")
    if not form.validate_on_submit():
        raise ValidationFailed("Your section could not be saved; keep it under 20,000 characters.")
    review = services.ensure_review(current_user, apprenticeship, month)
    services.save_section(current_user, review, key, form.text.data or "")
    flash("Your section is saved.", "success")
    return redirect(
        url_for("reviews.show", apprenticeship_id=apprenticeship_id, month=month)
        + f"#section-{key}"
    )


@bp.post("/apprenticeships/<int:apprenticeship_id>/reviews/<int:month>/schedule")
@login_required
def schedule(apprenticeship_id: int, month: int) -> Response | str:
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    form = ScheduleForm()
    if form.validate_on_submit():
        starts_at = form.starts_at.data.replace(tzinfo=services.timezone())
        try:
            review = services.ensure_review(current_user, apprenticeship, month)
            moved = review.scheduled_at is not None
            services.schedule_review(
                current_user,
                review,
                starts_at=starts_at,
                duration_minutes=form.duration_minutes.data,
                location=form.location.data or "",
                reason=form.reason.data or "",
            )
        except ValidationFailed as error:
            db.session.rollback()
            getattr(form, error.field or "starts_at").errors.append(error.message)
        else:
            flash(
                "Review moved: everyone gets the updated invitation."
                if moved
                else "Review booked: everyone gets an invitation with a calendar file.",
                "success",
            )
            return redirect(
                url_for("reviews.show", apprenticeship_id=apprenticeship_id, month=month)
                + "#schedule-heading"
            )
    return _render(apprenticeship_id, month, schedule_form=form)
