"""The notification settings form: one choice per kind."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from showcase.notifications.models import KINDS, EmailMode, Kind

CHOICES = [SelectChoice(mode.value, mode.label) for mode in EmailMode]


class SettingsForm(FlaskForm):
    """Fields are named after the kinds (``settings_form`` adds them)."""

    def modes(self) -> dict[Kind, EmailMode]:
        return {kind: EmailMode(self[kind.value].data) for kind in KINDS}


def settings_form(current: dict[Kind, EmailMode], **kwargs: object) -> SettingsForm:
    """A SettingsForm with one radio group per kind, set to ``current``."""

    class Form(SettingsForm):
        pass

    for kind, info in KINDS.items():
        setattr(
            Form,
            kind.value,
            RadioField(
                info.label,
                choices=CHOICES,
                default=current[kind].value,
                validators=[InputRequired()],
            ),
        )
    return Form(**kwargs)


class EmptyForm(FlaskForm):
    """A CSRF token for the mark-read buttons."""


class UnsubscribeForm(FlaskForm):
    """The unsubscribe button. No CSRF token: mail clients post RFC 8058's one click without
    one, and the signed link is itself the proof (it names one person and one kind)."""

    class Meta:
        csrf = False
