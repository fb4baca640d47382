"""Forms for recording and signing a progress review."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from showcase.reviews.models import ActionOutcome


class NotesForm(FlaskForm):
    notes = TextAreaField("Notes from the review", validators=[Optional(), Length(max=20000)])


class ActionForm(FlaskForm):
    text = TextAreaField("Action", validators=[DataRequired(), Length(max=500)])
    owner_id = SelectField("Who will do it", coerce=int, validators=[DataRequired()])
    due_date = DateField("By when", validators=[DataRequired()])


class FollowUpForm(FlaskForm):
    """What became of one earlier action; made with ``prefix=f"followup-{action.id}"`` so that
    several on one page keep distinct field ids."""

    outcome = SelectField(
        "What became of it",
        choices=[SelectChoice(o.value, f"{o.icon} {o.label}") for o in ActionOutcome],
        validators=[DataRequired()],
    )
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=1000)])


class SignForm(FlaskForm):
    """A signature is the button press itself; the form carries the CSRF token."""
