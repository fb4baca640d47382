"""Forms for the off-the-job training log, the plan and the employer's statement."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from showcase.training.rules import activity_kinds


class EntryForm(FlaskForm):
    activity_date = DateField("Date of the activity", validators=[DataRequired()])
    hours = IntegerField("Hours", validators=[InputRequired(), NumberRange(0, 12)], default=0)
    minutes = IntegerField("Minutes", validators=[InputRequired(), NumberRange(0, 59)], default=0)
    kind = SelectField("What kind of activity", validators=[DataRequired()])
    description = TextAreaField(
        "What you did and what you learnt", validators=[DataRequired(), Length(max=5000)]
    )
    #: Rendered as checkboxes grouped by module; choices are the standard's units.
    unit_refs = SelectMultipleField("Units it relates to", validators=[Optional()])
    evidence_id = SelectField(
        "Evidence it produced (optional)", coerce=int, validators=[Optional()]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.key, k.label) for k in activity_kinds().values()]


class ReviewEntryForm(FlaskForm):
    """Approve or return one entry; the button pressed (``decision``) says which."""

    comment = TextAreaField("Comment", validators=[Optional(), Length(max=2000)])


class PlanForm(FlaskForm):
    planned_end_date = DateField("Planned end date", validators=[Optional()])
    planned_otj_hours = IntegerField(
        "Planned off-the-job hours", validators=[Optional(), NumberRange(0, 100_000)]
    )


class PriorLearningForm(FlaskForm):
    hours = IntegerField(
        "Hours taken off the plan", validators=[InputRequired(), NumberRange(1, 100_000)]
    )
    reason = TextAreaField(
        "Prior learning recognised, and how it was checked",
        validators=[DataRequired(), Length(max=5000)],
    )


class StatementForm(FlaskForm):
    reason = TextAreaField(
        "Why fewer hours than planned were needed", validators=[DataRequired(), Length(max=5000)]
    )
    confirm = BooleanField(
        "I confirm, for the employer, that the apprentice received the off-the-job training "
        "hours shown, fewer than planned, and that this was enough for them to complete.",
        validators=[DataRequired()],
    )
