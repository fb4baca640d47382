"""Forms for recording and signing a progress review."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class NotesForm(FlaskForm):
    notes = TextAreaField("Notes from the review", validators=[Optional(), Length(max=20000)])


class ActionForm(FlaskForm):
    text = TextAreaField("Action", validators=[DataRequired(), Length(max=500)])
    owner_id = SelectField("Who will do it", coerce=int, validators=[DataRequired()])
    due_date = DateField("By when", validators=[DataRequired()])


class SignForm(FlaskForm):
    """A signature is the button press itself; the form carries the CSRF token."""
