"""Demo staff records and a comment thread: in Ben's portfolio, Tara Singh's observation record
(tagged, with a conversation about it) and Marcus Lee's manager statement.

Made through the services, as the pages would make them, so their audit entries, notifications
and permissions are the real ones.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.evidence import comments, services
from showcase.evidence.models import EvidenceKind
from showcase.portfolios.models import Apprenticeship
from showcase.standards.services import rules_for

OBSERVATION = (
    "Observed at the service desk, 10:00–11:30. Ben greeted each customer within a minute, "
    "checked the receipt and the returns policy before promising anything, and explained the "
    "refund timescale in plain words. When a customer without a receipt became frustrated he "
    "stayed calm, offered the exchange the policy allows and fetched his supervisor when the "
    "customer asked for one. Next step: say what you will do and by when before you hand over."
)
STATEMENT = (
    "For two weeks in the autumn Ben covered the service desk on his own on Saturday mornings. "
    "He opened up, handled returns and complaints, and kept the queue log I asked for. Two "
    "customers wrote to thank him. I would trust him with the desk again."
)


def add_demo_staff_records(today: dt.date | None = None) -> None:
    """Ben's staff records and comment thread (flushes only; the caller commits)."""
    today = today or dt.date.today()
    ben = db.session.scalar(
        select(Apprenticeship)
        .join(User, Apprenticeship.apprentice_id == User.id)
        .where(User.email == "ben@northgate.test")
    )
    if ben is None:
        return
    units = [u.ref for u in rules_for(ben.standard).units]
    observation = services.add_evidence(
        ben.tutor,
        ben,
        storage=None,
        stream=None,
        filename=None,
        max_bytes=0,
        details=services.EvidenceDetails(
            title="Observation: refunds at the service desk",
            kind=EvidenceKind.OBSERVATION_RECORD,
            activity_date=today - dt.timedelta(days=6),
            description=OBSERVATION,
        ),
    )
    services.tag_evidence(
        ben.tutor,
        observation,
        ref=units[min(12, len(units) - 1)],
        justification="Ben followed the returns policy and explained it clearly to the customer.",
    )
    feedback = comments.add_comment(
        ben.tutor,
        observation,
        "Good session. You kept calm with the customer who had no receipt — that is exactly "
        "what the assessor looks for. Try summing up what happens next before you hand over.",
    )
    comments.add_comment(
        ben.apprentice,
        observation,
        "Thanks Tara. I'll practise the summing-up on Saturday and write a reflection on it.",
    )
    comments.set_included(ben.apprentice, feedback, include=True)
    statement = services.add_evidence(
        ben.line_manager,
        ben,
        storage=None,
        stream=None,
        filename=None,
        max_bytes=0,
        details=services.EvidenceDetails(
            title="Manager statement: covering the service desk",
            kind=EvidenceKind.MANAGER_STATEMENT,
            activity_date=today - dt.timedelta(days=20),
            description=STATEMENT,
        ),
    )
    services.tag_evidence(
        ben.apprentice,
        statement,
        ref=units[min(13, len(units) - 1)],
        justification="Marcus saw me run the desk alone and deal with complaints myself.",
    )
