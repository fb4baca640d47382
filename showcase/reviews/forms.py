"""Forms for recording, scheduling and signing a progress review."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.simple import StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from showcase.reviews.models import ActionOutcome
from showcase.reviews.sections import MAX_TEXT


class NotesForm(FlaskForm):
    notes = TextAreaField("Notes from the review", validators=[Optional(), Length(max=20000)])


class SectionForm(FlaskForm):
    """One person's own section; made with ``prefix=f"section-{key}"`` so that each section's
    box has its own id."""

    text = TextAreaField("Your words", validators=[Optional(), Length(max=MAX_TEXT)])


class ActionForm(FlaskForm):
    text = TextAreaField("Target", validators=[DataRequired(), Length(max=500)])
    owner_id = SelectField("Who will do it", coerce=int, validators=[DataRequired()])
    due_date = DateField("By when", validators=[DataRequired()])


class FollowUpForm(FlaskForm):
    """What became of one earlier action; made with ``prefix=f"followup-{action.id}"`` so that
    several on one page keep distinct field ids."""

    outcome = SelectField(
        "What became of it",
        # Plain words: the outcome is read, never inferred from a symbol.
        choices=[SelectChoice(o.value, o.label) for o in ActionOutcome],
        validators=[DataRequired()],
    )
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=1000)])


class ScheduleForm(FlaskForm):
    """The tutor proposes (or moves) the review's meeting."""

    starts_at = DateTimeLocalField(
        "Date and time", format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    duration_minutes = IntegerField(
        "How long (minutes)", default=60, validators=[DataRequired(), NumberRange(10, 480)]
    )
    location = StringField("Where, or the online meeting link", validators=[Length(max=500)])
    reason = StringField("Why it moves (needed when changing a date)", validators=[Length(max=500)])


class SignForm(FlaskForm):
    """A signature is the button press itself; the form carries the CSRF token."""
