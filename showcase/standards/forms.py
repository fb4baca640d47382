"""The form an assessment organisation's administrator imports a supplement with."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

#: A supplement is a few criteria per module: far below this.
MAX_SUPPLEMENT_BYTES = 256 * 1024


class SupplementForm(FlaskForm):
    file = FileField("Supplement file (YAML)")
    text = TextAreaField(
        "Or paste the file's text", validators=[Optional(), Length(max=MAX_SUPPLEMENT_BYTES)]
    )
