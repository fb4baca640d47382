"""The email asking a witness for a statement: the apprentice's name, who asked, the link and
when it stops working. It is queued (``queue_email``), so it goes only if the request commits;
the body holds the link, stored nowhere else in clear, so the queued copy is erased once sent."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from flask import render_template

from showcase.links import external_url
from showcase.mail import queue_email

if TYPE_CHECKING:
    from showcase.accounts.models import User
    from showcase.witnesses.models import WitnessRequest


def send_request(request: WitnessRequest, token: str, *, requester: User) -> None:
    """Email the witness their link (a new one for each send)."""
    apprentice = request.apprenticeship.apprentice
    text = render_template(
        "witnesses/request_email.txt",
        link=external_url("witnesses.open_link", token=token),
        request=request,
        apprentice=apprentice.name,
        requester=requester.name,
        expires=request.expires_at,
    )
    queue_email(
        # One delivery per link; the token's hash (as the request keeps it), never the token.
        f"witness:{hashlib.sha256(token.encode()).hexdigest()}",
        request.witness_email,
        f"{apprentice.name} asks you for a witness statement",
        text,
        reason="witness_request",
        headers={"Auto-Submitted": "auto-generated", "X-Showcase-Reason": "witness-request"},
        sensitive=True,
    )
