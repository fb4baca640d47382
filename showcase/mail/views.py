"""/admin/outbox: the messages the outbox backend kept, for platform admins only.

In development (and the demo) no mail server is needed: the invitation and reset links are
opened from here. It is the only page that shows such links.
"""

from __future__ import annotations

import re

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from showcase import db
from showcase.errors import NotFound
from showcase.mail.models import OutboxMessage

bp = Blueprint("mail", __name__)

#: How many of the newest messages the page lists.
OUTBOX_PAGE_SIZE = 100

_URL = re.compile(r"https?://[^\s<>\"']+")


def text_parts(text: str) -> list[tuple[str, bool]]:
    """``text`` split into (piece, is_link) so the template can link URLs and escape the rest."""
    parts: list[tuple[str, bool]] = []
    position = 0
    for match in _URL.finditer(text):
        parts.append((text[position : match.start()], False))
        parts.append((match.group(), True))
        position = match.end()
    parts.append((text[position:], False))
    return [part for part in parts if part[0]]


@bp.get("/admin/outbox")
@login_required
def outbox() -> str:
    if not current_user.is_platform_admin:
        # Other people are not told the page exists.
        raise NotFound("There is nothing here.")
    messages = db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(OUTBOX_PAGE_SIZE)
    ).all()
    return render_template("mail/outbox.html", messages=messages, text_parts=text_parts)
