"""Forms for describing, tagging and reviewing evidence."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

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
    #: Carried from a suggestion the apprentice chose (showcase.suggest fills them): the unit it
    #: was for, its rank and the ranker. Recorded on the tag only if that unit is the one tagged.
    suggestion_ref = HiddenField(validators=[Optional(), Length(max=200)])
    suggestion_rank = IntegerField(
        widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=50)]
    )
    suggestion_ranker = HiddenField(
        validators=[Optional(), AnyOf(["lexical", "semantic", "combined"])]
    )
    #: Optional part of the file: "1:05-2:30" of a recording, "p. 3" of a PDF (regions.py).
    region = StringField("Part of the file (optional)", validators=[Optional(), Length(max=60)])


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


class CommentForm(FlaskForm):
    """A comment on an evidence item (staff recording and comments, issue 14)."""

    body = TextAreaField("Your comment", validators=[DataRequired(), Length(max=5000)])
