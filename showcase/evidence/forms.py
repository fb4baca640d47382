"""Forms for describing, tagging and reviewing evidence."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from showcase.evidence.models import EvidenceKind, TagStatus

KIND_CHOICES = [SelectChoice(k.value, k.label) for k in EvidenceKind]


class EvidenceDetailsForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind of evidence", choices=KIND_CHOICES, validators=[DataRequired()])
    activity_date = DateField("Date of the activity", validators=[DataRequired()])
    description = TextAreaField("Description", validators=[Optional(), Length(max=20000)])
    witness_name = StringField("Witness's name", validators=[Optional(), Length(max=200)])
    witness_role = StringField("Witness's job title", validators=[Optional(), Length(max=200)])
    witness_relationship = StringField(
        "Their relationship to you", validators=[Optional(), Length(max=200)]
    )
    witness_contact = StringField(
        "Email or phone to verify the statement", validators=[Optional(), Length(max=200)]
    )


class WrittenEvidenceForm(EvidenceDetailsForm):
    """Evidence without a file: a reflective account typed on the page."""

    description = TextAreaField(
        "Your account", validators=[DataRequired(), Length(min=20, max=20000)]
    )


class TagForm(FlaskForm):
    reference = SelectField("Criterion", validators=[DataRequired()])
    justification = TextAreaField(
        "How this evidence shows it", validators=[DataRequired(), Length(min=10, max=5000)]
    )


class ReviewForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=[SelectChoice("accept", "Accept"), SelectChoice("send_back", "Send back")],
        validators=[DataRequired()],
    )
    comment = TextAreaField("Comment for the apprentice", validators=[Optional(), Length(max=5000)])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    q = StringField("Search", validators=[Optional(), Length(max=200)])
    kind = SelectField(
        "Kind", choices=[SelectChoice("", "Any kind"), *KIND_CHOICES], validators=[Optional()]
    )
    ref = SelectField("Criterion", validators=[Optional()])
    status = SelectField(
        "Tag status",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(s.value, s.label) for s in TagStatus],
        validators=[Optional()],
    )
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
