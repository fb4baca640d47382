"""Demo witness testimony, made through the real services: a statement Amira's shift
supervisor signed (before her showcase is locked, so it is part of it) and a request to Ben's
supervisor still waiting, so his home page shows it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from showcase import db
from showcase.accounts.models import User
from showcase.evidence import services as evidence
from showcase.evidence.models import EvidenceTag
from showcase.portfolios.models import Apprenticeship
from showcase.storage import blobs_removed_on_failure
from showcase.storage_ext import get_storage
from showcase.witnesses import services

CONFLICT = "ST0072/dealing-with-customer-conflict-and-challenge"
#: A documentation address (RFC 5737) and a browser string that say they are demo data.
DEMO_CLIENT = services.ClientInfo(address="192.0.2.10", user_agent="Mozilla/5.0 (demo data)")


def _apprenticeship_of(email: str) -> Apprenticeship:
    return db.session.scalar(
        select(Apprenticeship)
        .join(User, Apprenticeship.apprentice_id == User.id)
        .where(User.email == email)
    )


def add_demo_witnesses(today: dt.date, link_days: float = 14) -> None:
    """Amira's signed statement (tags accepted by her tutor) and Ben's open request."""
    amira = _apprenticeship_of("amira@northgate.test")
    asked = services.request_statement(
        amira.apprentice,
        amira,
        services.RequestDetails(
            witness_name="Jordan Blake",
            witness_email="jordan.blake@northgate.test",
            witness_role="Customer service team leader",
            witness_relationship="My shift supervisor",
            witness_organisation="Northgate Retail Ltd",
            unit_refs=[f"{CONFLICT}/3.1", f"{CONFLICT}/4.4"],
            activity_date=today - dt.timedelta(days=45),
            note="The Saturday a customer's wedding order arrived damaged and I sorted it out "
            "at the desk while you were on shift.",
        ),
        link_days=link_days,
    )
    storage = get_storage()
    with blobs_removed_on_failure(storage) as written:
        signature = services.sign_statement(
            asked,
            statement=(
                "I was the team leader on shift. A customer arrived upset because the order for "
                "her daughter's wedding had arrived damaged. Amira listened without "
                "interrupting, repeated back what the customer needed by that evening and "
                "checked our stock system while she waited.\n\n"
                "She found a replacement at our other branch, arranged for it to be brought "
                "over within two hours and refunded the delivery charge as our policy allows. "
                "The customer thanked her and left calm. I would have handled it the same way."
            ),
            signer=services.SignerDetails(
                name="Jordan Blake",
                role="Customer service team leader",
                relationship="Amira's shift supervisor",
                organisation="Northgate Retail Ltd",
                typed_signature="Jordan Blake",
                declaration=True,
            ),
            client=DEMO_CLIENT,
            storage=storage,
            written=written,
        )
    for tag in db.session.scalars(
        select(EvidenceTag).where(EvidenceTag.evidence_id == signature.evidence_id)
    ):
        evidence.review_tag(amira.tutor, tag, accept=True)

    ben = _apprenticeship_of("ben@northgate.test")
    services.request_statement(
        ben.apprentice,
        ben,
        services.RequestDetails(
            witness_name="Priya Shah",
            witness_email="priya.shah@northgate.test",
            witness_role="Store supervisor",
            witness_relationship="My supervisor",
            witness_organisation="Northgate Retail Ltd",
            unit_refs=["ST0072/team-working/1.2", "ST0072/team-working/1.3"],
            activity_date=today - dt.timedelta(days=10),
            note="The stock-take week, when I organised the team rota for the returns desk.",
        ),
        link_days=link_days,
    )
