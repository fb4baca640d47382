"""Flask-WTF forms for sign-in, invitations, tokens and administration."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from showcase.accounts.models import ROLE_ORGANISATION_KINDS, OrganisationKind, Role


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in on this device")


class SetPasswordForm(FlaskForm):
    # Length and strength are checked by passwords.password_problem, one place for the rules.
    password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField(
        "Type it again", validators=[DataRequired(), EqualTo("password", "The passwords differ.")]
    )


class ResetPasswordForm(SetPasswordForm):
    revoke_tokens = BooleanField(
        "Also revoke my API tokens (programs using them will need new ones)", default=True
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])


class SignOutEverywhereForm(FlaskForm):
    revoke_tokens = BooleanField("Also revoke my API tokens", default=True)


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        "Kind",
        choices=[SelectChoice(k.value, k.label) for k in OrganisationKind],
        validators=[DataRequired()],
    )


class UserForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField(
        "Role",
        # Roles that belong to no organisation (external quality assurers) are granted, not
        # added here: see /admin/eqa.
        choices=[SelectChoice(r.value, r.label) for r in Role if ROLE_ORGANISATION_KINDS[r]],
        validators=[DataRequired()],
    )
    organisation_id = SelectField("Organisation", coerce=int, validators=[DataRequired()])


class ApiTokenForm(FlaskForm):
    name = StringField("Token name", validators=[DataRequired(), Length(max=100)])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""
