"""Forms for enrolling apprentices."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional


class ApprenticeshipForm(FlaskForm):
    apprentice_id = SelectField("Apprentice", coerce=int, validators=[DataRequired()])
    standard_id = SelectField("Standard", coerce=int, validators=[DataRequired()])
    start_date = DateField("Start date", validators=[DataRequired()])
    line_manager_id = SelectField("Line manager", coerce=int, validators=[DataRequired()])
    tutor_id = SelectField("Tutor", coerce=int, validators=[DataRequired()])
    planned_end_date = DateField("Planned end date", validators=[Optional()])
    planned_otj_hours = IntegerField(
        "Planned off-the-job training hours", validators=[Optional(), NumberRange(0, 100_000)]
    )


class PartyForm(FlaskForm):
    """Hand an apprenticeship's tutor or line manager role to someone else (the form's prefix
    names the role: ``tutor-user_id``, ``line_manager-user_id``)."""

    user_id = SelectField("New", coerce=int, validators=[DataRequired()])
