"""Forms of the marking queue: the filter (a GET form) and the two decisions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional

from showcase.evidence.forms import KIND_CHOICES

MAX_ID = 2_147_483_647


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form

    #: Checked against the tutor's learners by the view (a thousand choices are slow in WTForms).
    learner = SelectField("Learner", coerce=str, validate_choice=False, validators=[Optional()])
    module = SelectField("Module", coerce=str, validators=[Optional()])
    kind = SelectField(
        "Kind of evidence",
        choices=[SelectChoice("", "Any kind"), *KIND_CHOICES],
        validators=[Optional()],
    )
    after = HiddenField(validators=[Optional(), Length(max=40)])


class _InQueue(FlaskForm):
    """Where the tutor was in the queue, so the answer takes them back there."""

    learner = HiddenField(validators=[Optional(), Length(max=12)])
    module = HiddenField(validators=[Optional(), Length(max=320)])
    kind = HiddenField(validators=[Optional(), Length(max=40)])
    after = HiddenField(validators=[Optional(), Length(max=40)])


class DecisionForm(_InQueue):
    tag = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])
    #: The button pressed: Accept or Send back.
    decision = HiddenField(validators=[DataRequired(), AnyOf(["accept", "send_back"])])
    comment = TextAreaField("Comment for the apprentice", validators=[Optional(), Length(max=5000)])


class AcceptSeveralForm(_InQueue):
    """The ticked rows arrive as repeated ``tag`` values (checkboxes), read by the view."""
