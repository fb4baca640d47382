"""Demo evidence, a locked showcase and a graded assessment, made through the real services."""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Organisation, OrganisationKind, User
from showcase.assessment import services as assessment
from showcase.demo_files import pdf, png, wav
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind
from showcase.portfolios.models import Apprenticeship
from showcase.reviews import services as reviews
from showcase.reviews.demo import apprenticeship_of
from showcase.reviews.models import ActionOutcome
from showcase.standards.services import doc_for
from showcase.standards.sufficiency import add_months
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions

CONFLICT = "ST0072/dealing-with-customer-conflict-and-challenge"

#: (filename, file maker, kind, title, days ago, [(unit ref, justification)], accepted?)
AMIRA = [
    (
        "witness-statement-marcus.pdf",
        lambda: pdf(
            [
                "Witness statement - Marcus Lee, Store Manager, Northgate Retail",
                "On 12 March Amira calmly resolved a complaint about a late delivery.",
                "She listened, explained the options and followed up the next day.",
            ]
        ),
        EvidenceKind.WITNESS_STATEMENT,
        "Manager's statement: late delivery complaint",
        200,
        [
            (f"{CONFLICT}/2.1", "Marcus saw me stay calm and patient with an upset customer."),
            (f"{CONFLICT}/4.2", "I offered a redelivery or refund and the customer chose."),
            (f"{CONFLICT}/5.1", "I phoned the customer the next day as promised."),
        ],
        True,
    ),
    (
        "call-recording.wav",
        lambda: wav(6.0),
        EvidenceKind.RECORDING,
        "Recorded call: booking a repair",
        120,
        [
            (f"{CONFLICT}/2.2", "You can hear me summarise the fault back to the customer."),
            (f"{CONFLICT}/2.3", "I use open then closed questions to find the model number."),
        ],
        True,
    ),
    (
        "team-huddle.png",
        lambda: png("Team huddle: sharing the returns checklist"),
        EvidenceKind.PHOTO,
        "Photo: presenting the new returns checklist",
        60,
        [
            ("ST0072/team-working/2.2", "I presented my checklist idea to the team huddle."),
            ("ST0072/team-working/2.1", "I shared what I learned from a difficult return."),
        ],
        False,
    ),
]


#: What Amira, Marcus and Tara wrote at Amira's 6- and 9-month reviews, before they signed.
AMIRA_SECTIONS = {
    6: {
        "apprentice_reflection": (
            "Handling a complaint at the service desk on my own was a big step, and the "
            "statements for the regulations units are in. I still rush when the queue is long, "
            "so I want to practise staying calm when it's busy."
        ),
        "employer_comments": (
            "Amira now covers the service desk without supervision and her product knowledge "
            "has come on a lot. I'd like her to help show new starters the returns process."
        ),
        "tutor_comments": (
            "Good progress since the last review: the regulations units are evidenced and the "
            "recorded complaint is strong. Next, reflective accounts that show how she adapts "
            "to different customers."
        ),
    },
    9: {
        "apprentice_reflection": (
            "Writing about the busy Saturday helped me see how I decide who to help first. I "
            "suggested a change to the returns queue at the team meeting and we're trying it."
        ),
        "employer_comments": (
            "Amira is one of the most dependable people on the desk and dealt with an upset "
            "customer's late delivery really well. She's ready to start preparing for her "
            "end-point assessment."
        ),
        "tutor_comments": (
            "Nearly every unit is covered now and the evidence is varied. Before the gateway, "
            "Amira should choose her strongest pieces and practise talking them through for "
            "the professional discussion."
        ),
    },
}


def _add(apprentice: User, apprenticeship: Apprenticeship, spec: tuple, today: dt.date) -> None:
    filename, make, kind, title, days_ago, tags, accept = spec
    storage = get_storage()
    item = evidence.add_evidence(
        apprentice,
        apprenticeship,
        storage=storage,
        stream=io.BytesIO(make()),
        filename=filename,
        max_bytes=10**8,
        details=evidence.EvidenceDetails(
            title=title,
            kind=kind,
            activity_date=today - dt.timedelta(days=days_ago),
            witness_name="Marcus Lee" if kind is EvidenceKind.WITNESS_STATEMENT else None,
            witness_role="Store Manager" if kind is EvidenceKind.WITNESS_STATEMENT else None,
            witness_relationship="Line manager" if kind is EvidenceKind.WITNESS_STATEMENT else None,
            witness_contact="manager@northgate.test"
            if kind is EvidenceKind.WITNESS_STATEMENT
            else None,
        ),
    )
    for ref, why in tags:
        tag = evidence.tag_evidence(apprentice, item, ref=ref, justification=why)
        if accept:
            evidence.review_tag(apprenticeship.tutor, tag, accept=True)


def add_demo_evidence(today: dt.date) -> None:
    """Evidence, tagged and partly accepted, in Amira's and Ben's portfolios."""
    amira, ben = apprenticeship_of("amira@northgate.test"), apprenticeship_of("ben@northgate.test")
    for spec in AMIRA:
        _add(amira.apprentice, amira, spec, today)
    _add(ben.apprentice, ben, AMIRA[2], today)


def add_demo_showcase(today: dt.date) -> None:
    """Amira's showcase: chosen, signed off, locked, then assessed and graded."""
    amira = apprenticeship_of("amira@northgate.test")
    epa = db.session.scalar(
        select(Organisation).where(Organisation.kind == OrganisationKind.ASSESSMENT_ORGANISATION)
    )
    draft = submissions.start_version(amira.apprentice, amira)
    submissions.set_items(
        amira.apprentice,
        draft,
        [e.id for e in evidence.list_evidence(amira, evidence.EvidenceFilter())],
    )
    submissions.set_summary(
        amira.apprentice,
        draft,
        summary=(
            "I work on the customer service desk at Northgate. My showcase shows how I handle "
            "complaints calmly, use questioning to find what customers need, and share ideas "
            "with my team."
        ),
        assessment_organisation_id=epa.id,
    )
    for gap in submissions.checklist(draft, today=today).gaps:
        submissions.acknowledge_gap(
            amira.tutor,
            draft,
            ref=gap.ref,
            note="Discussed in progress reviews; to be explored in the professional discussion.",
        )
    submissions.sign_off(amira.line_manager, draft, confirm=True)
    submissions.sign_off(amira.tutor, draft, confirm=True)
    writers = {
        "apprentice_reflection": amira.apprentice,
        "employer_comments": amira.line_manager,
        "tutor_comments": amira.tutor,
    }
    for month in (6, 9):  # the 3-month review is signed by the reviews demo
        held = add_months(amira.start_date, month)
        review = reviews.ensure_review(amira.tutor, amira, month, today=held)
        reviews.save_notes(amira.tutor, review, f"On track at {month} months.")
        for action in reviews.previous_review(amira.id, month).actions:
            reviews.record_followup(
                amira.tutor, review, action.id, ActionOutcome.DONE, "Statements added in month 4."
            )
        # Each party writes their own section on the day, before anybody signs.
        written_at = dt.datetime.combine(held, dt.time(9), dt.UTC)
        for key, text in AMIRA_SECTIONS[month].items():
            reviews.save_section(writers[key], review, key, text, now=written_at)
        for signer in (amira.tutor, amira.line_manager, amira.apprentice):
            reviews.sign_review(signer, review)
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(amira.apprentice, draft, storage=storage, written=written)

    admin = db.session.scalar(select(User).where(User.email == "office@epa.test"))
    assessor = db.session.scalar(select(User).where(User.email == "assessor@epa.test"))
    graded = assessment.assign(admin, draft, assessor)
    doc = doc_for(amira.standard)
    assessment.save_method_record(
        assessor,
        graded,
        method_key="observation",
        held_on=today - dt.timedelta(days=2),
        duration_minutes=75,
        notes="Observed Amira at the service desk handling an enquiry and a complaint.",
        areas=list(doc.plan.observation_mandatory_areas),
        contexts=["face-to-face"],
    )
    assessment.save_method_record(
        assessor,
        graded,
        method_key="professional-discussion",
        held_on=today - dt.timedelta(days=1),
        duration_minutes=60,
        notes="Discussed customers, the organisation and her role.",
        areas=[],
    )
    for criterion in doc.criteria():
        if criterion.context and criterion.context != "face-to-face":
            continue
        met = criterion.level == "pass" or criterion.method_key == "observation"
        assessment.record_judgement(
            assessor,
            graded,
            ref=criterion.ref,
            met=met,
            comment="Seen in the observation." if met else "",
        )
    assessment.confirm_grade(assessor, graded)
