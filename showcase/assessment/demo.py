"""Demo: a second locked showcase with the assessor, part-way through its judgements.

Jordan Price (Northgate, 13 months in, own line manager and tutor so nobody else's lists
change) submitted a recording and a witness statement; Alex Morgan has judged the first
showcase statements, citing a part of the recording and a page of the statement, and left the
rest to do — so the demo assessor's workspace shows progress, citations and work remaining.
Everything is made through the real services.
"""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from showcase import db
from showcase.accounts import services as accounts
from showcase.accounts.models import Organisation, OrganisationKind, Role, User
from showcase.assessment import services
from showcase.demo_files import pdf, wav
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceKind
from showcase.portfolios.services import create_apprenticeship
from showcase.reviews import services as reviews
from showcase.standards.loaders import get_standard_or_404
from showcase.standards.sufficiency import add_months
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions

PASSWORD = "showcase-demo"  # noqa: S105 (the demo's password, as showcase.demo says)
MODULE = "ST0072/understanding-the-organisation"

#: What Jordan, Nina and Theo wrote at each of Jordan's reviews, before they signed.
JORDAN_SECTIONS = {
    3: {
        "apprentice_reflection": (
            "I've learnt the tills and the stock system and I enjoy the service desk. I'd like "
            "to understand more about what Northgate stands for, so I can explain it to customers."
        ),
        "employer_comments": (
            "Jordan is punctual and friendly and picks new tasks up quickly. From next month "
            "I'll give Jordan some time on the phones."
        ),
        "tutor_comments": (
            "A steady start. The evidence so far is mostly Jordan's own notes; a recording or a "
            "statement from Nina would make it much stronger."
        ),
    },
    6: {
        "apprentice_reflection": (
            "Taking calls at the desk has got easier, and I recorded one with the customer's "
            "permission. Angry customers still throw me, so I want to practise those calls."
        ),
        "employer_comments": (
            "Jordan explained our values to a customer really well last month, and I've written "
            "a statement about it. Next I'd like Jordan to see a few complaints through from "
            "start to finish."
        ),
        "tutor_comments": (
            "The recording and Nina's statement are good evidence for understanding the "
            "organisation. The conflict and challenge units are the gap to work on next."
        ),
    },
    9: {
        "apprentice_reflection": (
            "I've now dealt with a few complaints from start to finish and felt more confident "
            "each time. Next I want to start choosing what goes in my showcase."
        ),
        "employer_comments": (
            "Customers trust the answers Jordan gives them, and the team does too. We're happy "
            "for Jordan to go forward to the gateway when the tutor agrees."
        ),
        "tutor_comments": (
            "Good progress, and the main gaps are closing. Before the gateway Jordan should pick "
            "the strongest evidence and write a short, clear summary for the showcase."
        ),
    },
}


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _org(kind: OrganisationKind, name: str) -> Organisation:
    return db.session.scalar(
        select(Organisation).where(Organisation.kind == kind, Organisation.name == name)
    )


def add_demo_assessment_in_progress(today: dt.date) -> None:
    """Jordan's locked showcase, assigned to Alex Morgan and partly judged, with citations."""
    employer = _org(OrganisationKind.EMPLOYER, "Northgate Retail Ltd")
    provider = _org(OrganisationKind.TRAINING_PROVIDER, "Brightpath Training")
    epa = _org(OrganisationKind.ASSESSMENT_ORGANISATION, "Independent EPA Services")

    def person(email: str, name: str, role: Role, organisation: Organisation) -> User:
        return accounts.create_user(
            None, email=email, name=name, role=role, organisation=organisation, password=PASSWORD
        )

    apprentice = person("jordan@northgate.test", "Jordan Price", Role.APPRENTICE, employer)
    manager = person("nina@northgate.test", "Nina Shah", Role.EMPLOYER_CONTACT, employer)
    tutor = person("theo@brightpath.test", "Theo Grant", Role.TUTOR, provider)
    item = create_apprenticeship(
        None,
        apprentice=apprentice,
        standard=get_standard_or_404("ST0072"),
        start_date=add_months(today, -13),
        line_manager=manager,
        tutor=tutor,
    )
    storage = get_storage()
    files = (
        ("desk-call.wav", wav(6.0), EvidenceKind.RECORDING, "A call at the service desk", "1.1"),
        (
            "statement-nina.pdf",
            pdf(["Witness statement - Nina Shah", "Jordan explained our values to a customer."]),
            EvidenceKind.WITNESS_STATEMENT,
            "Manager's statement: explaining our values",
            "1.2",
        ),
    )
    items = []
    for name, body, kind, title, unit in files:
        e = evidence.add_evidence(
            apprentice,
            item,
            storage=storage,
            stream=io.BytesIO(body),
            filename=name,
            max_bytes=10**8,
            details=evidence.EvidenceDetails(
                title=title, kind=kind, witness_name="Nina Shah", witness_relationship="Manager"
            ),
        )
        tag = evidence.tag_evidence(
            apprentice, e, ref=f"{MODULE}/{unit}", justification="Shows what our business is for."
        )
        evidence.review_tag(tutor, tag, accept=True)
        items.append(e)
    writers = {
        "apprentice_reflection": apprentice,
        "employer_comments": manager,
        "tutor_comments": tutor,
    }
    for month, sections in JORDAN_SECTIONS.items():
        held = add_months(item.start_date, month)
        review = reviews.ensure_review(tutor, item, month, today=held)
        # Each party writes their own section on the day, before anybody signs.
        written_at = dt.datetime.combine(held, dt.time(9), dt.UTC)
        for key, text in sections.items():
            reviews.save_section(writers[key], review, key, text, now=written_at)
        for signer in (tutor, manager, apprentice):
            reviews.sign_review(signer, review)
    draft = submissions.start_version(apprentice, item)
    submissions.set_items(apprentice, draft, [e.id for e in items])
    submissions.set_summary(
        apprentice,
        draft,
        summary="I answer customers at the service desk and explain what Northgate stands for.",
        assessment_organisation_id=epa.id,
    )
    for gap in submissions.checklist(draft, today=today).gaps:
        submissions.acknowledge_gap(
            tutor, draft, ref=gap.ref, note="To be explored in the professional discussion."
        )
    submissions.sign_off(manager, draft, confirm=True)
    submissions.sign_off(tutor, draft, confirm=True)
    with blobs_removed_on_failure(storage) as written:
        submissions.lock_submission(apprentice, draft, storage=storage, written=written)

    assessor = _user("assessor@epa.test")
    assessment = services.assign(_user("office@epa.test"), draft, assessor)
    recording, statement = items
    services.record_judgement(
        assessor,
        assessment,
        ref=f"{MODULE}/statement-1",
        met=True,
        comment="Explains the business's purpose to the caller, then in the statement.",
        version=0,
        citations=[
            services.CitationIn(recording.id, "0:01-0:04"),
            services.CitationIn(statement.id, "p. 1"),
        ],
    )
    services.record_judgement(
        assessor,
        assessment,
        ref=f"{MODULE}/statement-2",
        met=False,
        comment="Values are named but not shown in practice yet; ask in the discussion.",
        version=0,
        citations=[services.CitationIn(statement.id, "p. 1")],
    )
