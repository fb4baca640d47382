"""Apprenticeship pages: the portfolio overview and enrolment."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from showcase import db
from showcase.accounts.login import roles_required
from showcase.accounts.models import Role, User
from showcase.errors import Forbidden, ShowcaseError, ValidationFailed
from showcase.portfolios import services
from showcase.portfolios.forms import ApprenticeshipForm, PartyForm
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.portfolios.models import Apprenticeship, PartyRole
from showcase.portfolios.permissions import (
    can_change_party,
    can_enrol,
    can_manage_apprenticeship,
)
from showcase.standards.models import Standard
from showcase.web import form_post

bp = Blueprint("portfolios", __name__)


@bp.get("/apprenticeships/<int:apprenticeship_id>")
@login_required
def apprenticeship(apprenticeship_id: int) -> str:
    item = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    today = dt.date.today()
    return render_template(
        "portfolios/apprenticeship.html",
        apprenticeship=item,
        months=item.months_on_programme(today),
        can_manage=can_manage_apprenticeship(current_user, item),
    )


def _people(role: Role, admin: User) -> list[SelectChoice]:
    stmt = select(User).where(User.role == role, User.is_active.is_(True)).order_by(User.name)
    # An organisation's admin chooses among their own people for their side of the enrolment and
    # among everyone with the role for the other side (e.g. the provider's tutor).
    own_side = {
        Role.APPRENTICE: "employer",
        Role.EMPLOYER_CONTACT: "employer",
        Role.TUTOR: "training_provider",
    }[role]
    if not admin.is_platform_admin and admin.organisation.kind.value == own_side:
        stmt = stmt.where(User.organisation_id == admin.organisation_id)
    return [
        SelectChoice(u.id, f"{u.name} ({u.organisation.name if u.organisation else '—'})")
        for u in db.session.scalars(stmt)
    ]


@bp.route("/admin/apprenticeships/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_apprenticeship() -> str | Response:
    # An assessment organisation's admin can never enrol anyone: refuse before listing people.
    if not can_enrol(current_user):
        raise Forbidden(
            "Only administrators of an employer or a training provider enrol apprentices."
        )
    form = ApprenticeshipForm()
    form.apprentice_id.choices = _people(Role.APPRENTICE, current_user)
    form.line_manager_id.choices = _people(Role.EMPLOYER_CONTACT, current_user)
    form.tutor_id.choices = _people(Role.TUTOR, current_user)
    form.standard_id.choices = [
        SelectChoice(s.id, f"{s.code} {s.version} — {s.title}")
        for s in db.session.scalars(select(Standard).order_by(Standard.code, Standard.version))
    ]
    if form.validate_on_submit():
        try:
            item = services.create_apprenticeship(
                current_user,
                apprentice=db.session.get(User, form.apprentice_id.data),
                standard=db.session.get(Standard, form.standard_id.data),
                start_date=form.start_date.data,
                line_manager=db.session.get(User, form.line_manager_id.data),
                tutor=db.session.get(User, form.tutor_id.data),
                planned_end_date=form.planned_end_date.data,
                planned_otj_hours=form.planned_otj_hours.data,
            )
        except ShowcaseError as error:
            db.session.rollback()
            name = f"{error.field}_id" if hasattr(form, f"{error.field}_id") else error.field
            getattr(form, str(name), form.apprentice_id).errors.append(error.message)
        else:
            flash(f"{item.apprentice.name} is enrolled on {item.standard.code}.", "success")
            return redirect(url_for("portfolios.apprenticeship", apprenticeship_id=item.id))
    return render_template("portfolios/new_apprenticeship.html", form=form)


def _candidates(item: Apprenticeship, role: PartyRole) -> list[SelectChoice]:
    """Who may take over ``role``: active people with the fitting role in the apprenticeship's
    provider (tutors) or employer (line managers), except the current holder."""
    user_role, organisation_id = {
        PartyRole.TUTOR: (Role.TUTOR, item.provider_id),
        PartyRole.LINE_MANAGER: (Role.EMPLOYER_CONTACT, item.employer_id),
    }[role]
    people = db.session.scalars(
        select(User)
        .where(
            User.role == user_role,
            User.organisation_id == organisation_id,
            User.is_active.is_(True),
            User.id != getattr(item, role.column),
        )
        .order_by(User.name)
    )
    return [SelectChoice(u.id, u.name) for u in people]


@bp.route("/admin/apprenticeships/<int:apprenticeship_id>/parties", methods=["GET", "POST"])
@login_required
def parties(apprenticeship_id: int) -> str | Response:
    """The apprenticeship's tutors and line managers over time; admins hand a role over."""
    item = get_apprenticeship_or_404(current_user, apprenticeship_id, parties=True)
    roles = [r for r in PartyRole if can_change_party(current_user, item, r)]
    if not roles:
        raise Forbidden("Only the provider's or the employer's administrators change these.")
    forms = {}
    for role in roles:
        form = PartyForm(prefix=role.value)
        form.user_id.label.text = f"New {role.label}"
        form.user_id.choices = _candidates(item, role)
        forms[role] = form
    if request.method == "POST":
        posted = next((r for r in PartyRole if f"{r.value}-user_id" in request.form), None)
        if posted is None:
            raise ValidationFailed("Choose the new tutor or line manager.", field="user_id")
        if posted not in forms:
            raise Forbidden(f"You cannot change this apprenticeship's {posted.label}.")
        form = forms[posted]
        if form.validate_on_submit():
            new_user = db.session.get(User, form.user_id.data)
            with form_post(f"{new_user.name} is now the {posted.label}."):
                services.change_party(current_user, item, posted, new_user)
            return redirect(url_for("portfolios.parties", apprenticeship_id=item.id))
    return render_template(
        "portfolios/parties.html",
        apprenticeship=item,
        history=services.party_history(item),
        forms=forms,
    )
