"""Demo evidence and reviews: Amira's signed 3-month review, each party's section written; Ben's
3-month review signed by all three with every section written and targets agreed, his 6-month
review booked (the invitations with their calendar file are in the outbox); and a tag of his
sent back with a comment.

Rows are dated in the past (evidence created, tags accepted months ago) so the coverage chart
and the review's "as of" figures tell a story. The coverage rollup follows through its flush
listener, as it does for real changes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.evidence.models import Evidence, EvidenceKind, EvidenceTag, TagEvent, TagStatus
from showcase.portfolios.models import Apprenticeship
from showcase.reviews import services
from showcase.standards.models import StandardReference
from showcase.standards.services import rules_for
from showcase.standards.sufficiency import add_months

#: (month on programme, title, kind, how many units it is tagged to, accepted?)
AMIRA_ITEMS = [
    (1, "Induction reflective log", EvidenceKind.REFLECTIVE_ACCOUNT, 6, True),
    (1, "Supervisor witness statement: first weeks", EvidenceKind.WITNESS_STATEMENT, 8, True),
    (2, "Customer feedback cards", EvidenceKind.CUSTOMER_FEEDBACK, 8, True),
    (2, "Till procedures observation", EvidenceKind.OBSERVATION_RECORD, 6, True),
    (4, "Complaint handled at the service desk", EvidenceKind.RECORDING, 8, True),
    (5, "Manager statement: product knowledge", EvidenceKind.MANAGER_STATEMENT, 10, True),
    (7, "Reflective account: busy Saturday", EvidenceKind.REFLECTIVE_ACCOUNT, 6, True),
    (8, "Team meeting contribution", EvidenceKind.WITNESS_STATEMENT, 10, True),
    (10, "Mystery shopper report", EvidenceKind.CUSTOMER_FEEDBACK, 10, True),
    (11, "Equality training reflection", EvidenceKind.REFLECTIVE_ACCOUNT, 6, False),
    (12, "Recorded call with a supplier", EvidenceKind.RECORDING, 8, None),
]
BEN_ITEMS = [
    (1, "Shadowing notes", EvidenceKind.REFLECTIVE_ACCOUNT, 5, True),
    (2, "Supervisor witness statement", EvidenceKind.WITNESS_STATEMENT, 6, True),
    (3, "Customer thank-you email", EvidenceKind.CUSTOMER_FEEDBACK, 4, None),
    # Sent back with the tutor's comment: the first thing on Ben's home page.
    (4, "Reflection: learning the returns policy", EvidenceKind.REFLECTIVE_ACCOUNT, 2, False),
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _add_items(apprenticeship: Apprenticeship, items: list, today: dt.date) -> None:
    refs = [u.ref for u in rules_for(apprenticeship.standard).units]
    ids = dict(
        db.session.execute(
            select(StandardReference.ref, StandardReference.id).where(
                StandardReference.standard_id == apprenticeship.standard_id
            )
        ).all()
    )
    cursor = 0
    for month, title, kind, n_units, accepted in items:
        made = min(add_months(apprenticeship.start_date, month), today)
        item = Evidence(
            apprenticeship=apprenticeship,
            title=title,
            kind=kind,
            activity_date=made,
            description=f"{title}. Demo evidence.",
            witness_name="Jo Patel" if kind is EvidenceKind.WITNESS_STATEMENT else None,
            witness_relationship="Shift supervisor"
            if kind is EvidenceKind.WITNESS_STATEMENT
            else None,
            created_by_id=apprenticeship.apprentice_id,
            created_at=_at(made),
            updated_at=_at(made),
        )
        db.session.add(item)
        # Third-party items re-use some units already evidenced by the apprentice's own
        # accounts, so that a demo gap of each kind appears.
        start = (
            max(cursor - n_units // 2, 0) if kind is not EvidenceKind.REFLECTIVE_ACCOUNT else cursor
        )
        chosen = refs[start : start + n_units]
        cursor = max(cursor, start + n_units)
        for ref in chosen:
            status = {
                True: TagStatus.ACCEPTED,
                False: TagStatus.SENT_BACK,
                None: TagStatus.PENDING,
            }[accepted]
            tag = EvidenceTag(
                evidence=item,
                reference_id=ids[ref],
                justification=f"{title} shows this: I did it on the day.",
                status=status,
                created_at=_at(made),
            )
            db.session.add(tag)
            db.session.add(
                TagEvent(
                    tag=tag,
                    actor_id=apprenticeship.apprentice_id,
                    action="created",
                    at=_at(made),
                )
            )
            if accepted is not None:
                reviewed = min(made + dt.timedelta(days=7), today)
                tag.reviewed_by_id = apprenticeship.tutor_id
                tag.reviewed_at = _at(reviewed, 15)
                tag.review_comment = None if accepted else "Say what you did, not what you learnt."
                db.session.add(
                    TagEvent(
                        tag=tag,
                        actor_id=apprenticeship.tutor_id,
                        action="accepted" if accepted else "sent_back",
                        comment=tag.review_comment,
                        at=_at(reviewed, 15),
                    )
                )
    db.session.flush()


def apprenticeship_of(email: str) -> Apprenticeship:
    """A demo apprentice's apprenticeship, by the apprentice's email."""
    return db.session.scalar(
        select(Apprenticeship)
        .join(User, Apprenticeship.apprentice_id == User.id)
        .where(User.email == email)
    )


def add_demo_reviews(today: dt.date | None = None) -> None:
    """Evidence for Amira and Ben; Amira's 3-month review signed, Ben's open (flushes only)."""
    today = today or dt.date.today()
    amira = apprenticeship_of("amira@northgate.test")
    ben = apprenticeship_of("ben@northgate.test")
    _add_items(amira, AMIRA_ITEMS, today)
    _add_items(ben, BEN_ITEMS, today)

    held = add_months(amira.start_date, 3)
    review = services.ensure_review(amira.tutor, amira, 3, today=held)
    services.save_notes(
        amira.tutor, review, "Amira has settled in well; customer feedback is strong."
    )
    services.add_action(
        amira.tutor,
        review,
        text="Collect witness statements for the regulations units.",
        owner=amira.apprentice,
        due=held + dt.timedelta(days=30),
    )
    # Each party writes their own section before anybody signs (the template requires it).
    people = {
        "apprentice": amira.apprentice,
        "line_manager": amira.line_manager,
        "tutor": amira.tutor,
    }
    for who, key, text in AMIRA_SECTIONS:
        services.save_section(people[who], review, key, text, now=_at(held, 9))
    for signer, hour in ((amira.tutor, 11), (amira.line_manager, 12), (amira.apprentice, 13)):
        services.sign_review(signer, review, now=_at(held, hour))

    _bens_reviews(ben, today)


#: Amira's 3-month review: what each of the three wrote before they signed.
AMIRA_SECTIONS = (
    (
        "apprentice",
        "apprentice_reflection",
        "I feel settled on the tills and the customer feedback cards have been lovely to read. "
        "I'm less sure of the rules on refunds and data protection, so I want to learn those next.",
    ),
    (
        "line_manager",
        "employer_comments",
        "Amira has fitted into the team quickly and customers often mention her by name. I'll "
        "give her shifts on the service desk so she sees more refunds and complaints.",
    ),
    (
        "tutor",
        "tutor_comments",
        "A strong start: the feedback cards and the till observation cover the early units "
        "well. Nothing yet for the regulations units, so witness statements there come first.",
    ),
)

#: Ben's 3-month review, section by section (the wellbeing section is the tutor's, private).
BEN_SECTIONS = (
    (
        "apprentice",
        "apprentice_reflection",
        "I can handle returns on my own now. Complaints on the phone still make me nervous; "
        "I want to listen in on Jo's calls and then take some with her beside me.",
    ),
    (
        "line_manager",
        "employer_comments",
        "Ben is reliable and customers like him. He can cover the service desk on Saturdays "
        "from next month, which gives him complaints to handle.",
    ),
    (
        "tutor",
        "tutor_comments",
        "A good start on knowledge units. Most of the evidence is Ben's own account: witness "
        "statements and customer feedback are what the gateway needs next.",
    ),
    (
        "tutor",
        "wellbeing",
        "Ben says the early shifts are tiring around college days. Agreed with him to ask "
        "for the late shift on Thursdays; he knows he can talk to me at any time.",
    ),
)


def _bens_reviews(ben: Apprenticeship, today: dt.date) -> None:
    """Ben's 3-month review signed with every section; his 6-month review booked."""
    held = min(add_months(ben.start_date, 3), today)
    review = services.ensure_review(ben.tutor, ben, 3, today=held)
    services.save_notes(ben.line_manager, review, "Ben is keen; needs more third-party evidence.")
    people = {"apprentice": ben.apprentice, "line_manager": ben.line_manager, "tutor": ben.tutor}
    for who, key, text in BEN_SECTIONS:
        services.save_section(people[who], review, key, text, now=_at(held, 9))
    services.add_action(
        ben.tutor,
        review,
        text="Ask Jo for a witness statement about handling a complaint at the desk.",
        owner=ben.apprentice,
        due=held + dt.timedelta(days=28),
    )
    services.add_action(
        ben.tutor,
        review,
        text="Put Ben on the Saturday service desk rota.",
        owner=ben.line_manager,
        due=held + dt.timedelta(days=14),
    )
    for signer, hour in ((ben.tutor, 11), (ben.line_manager, 12), (ben.apprentice, 13)):
        services.sign_review(signer, review, now=_at(held, hour))

    # The next one is booked for the morning it falls due (or next week, if that has passed).
    day = max(add_months(ben.start_date, 6), today + dt.timedelta(days=7))
    upcoming = services.ensure_review(ben.tutor, ben, 6, today=today)
    services.schedule_review(
        ben.tutor,
        upcoming,
        starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=services.timezone()),
        duration_minutes=60,
        location="Northgate store, first-floor meeting room",
    )
