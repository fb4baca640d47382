"""Forms of the witness pages. Field rules live in the services (one place, the same for the
API); the forms carry the CSRF token and the values back to the page with their errors."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Optional


class RequestForm(FlaskForm):
    witness_name = StringField("Witness's full name", validators=[Optional()])
    witness_email = StringField("Their email address", validators=[Optional()])
    witness_role = StringField("Their job title", validators=[Optional()])
    witness_relationship = StringField(
        "How they know the apprentice (e.g. supervisor, colleague)", validators=[Optional()]
    )
    witness_organisation = StringField("Their organisation (optional)", validators=[Optional()])
    unit_refs = SelectMultipleField("Units they can speak about", validate_choice=False)
    activity_date = DateField("When it happened", validators=[Optional()])
    note = TextAreaField("What happened", validators=[Optional()])


class SignForm(FlaskForm):
    statement = TextAreaField("Your statement", validators=[Optional()])
    file = FileField("Attach a document or recording (optional)")
    signer_name = StringField("Your full name", validators=[Optional()])
    signer_role = StringField("Your job title", validators=[Optional()])
    signer_relationship = StringField("How you know the apprentice", validators=[Optional()])
    signer_organisation = StringField("Your organisation (optional)", validators=[Optional()])
    typed_signature = StringField("Type your full name to sign", validators=[Optional()])
    declaration = BooleanField("I agree with the declaration above")


class DeclineForm(FlaskForm):
    reason = TextAreaField("Why you cannot give a statement", validators=[Optional()])
