"""Test data builders shared by test modules: the ``Factory`` behind the ``make`` fixture, and
helpers that build evidence, tags, signed reviews and a whole gateway journey through the
services.

Everything here flushes, never commits (the harness rolls each test back); tests that commit
(the race tests) commit themselves.
"""

from __future__ import annotations

import datetime as dt
import io
import wave
from pathlib import Path

from showcase import db
from showcase.accounts.models import Organisation, OrganisationKind, Role, User
from showcase.accounts.passwords import hash_password
from showcase.evidence import services as evidence
from showcase.evidence.models import Evidence, EvidenceKind, EvidenceTag
from showcase.portfolios.models import Apprenticeship
from showcase.standards import services as standards
from showcase.standards.loaders import get_standard_or_404
from showcase.storage_ext import get_storage
from showcase.submissions import services as submissions
from showcase.submissions.models import Submission

SAMPLES = Path(__file__).parent / "samples"
PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: Argon2 is slow on purpose


class Factory:
    """Builds related rows with sensible defaults; each call flushes."""

    def __init__(self) -> None:
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def organisation(
        self, kind: OrganisationKind = OrganisationKind.EMPLOYER, name: str | None = None
    ) -> Organisation:
        org = Organisation(name=name or f"{kind.label} {self._next()}", kind=kind)
        db.session.add(org)
        db.session.flush()
        return org

    def user(self, role: Role, organisation: Organisation | None = None, **values) -> User:
        n = self._next()
        if organisation is None and role is not Role.ADMIN:
            kind = {
                Role.APPRENTICE: OrganisationKind.EMPLOYER,
                Role.EMPLOYER_CONTACT: OrganisationKind.EMPLOYER,
                Role.TUTOR: OrganisationKind.TRAINING_PROVIDER,
                Role.ASSESSOR: OrganisationKind.ASSESSMENT_ORGANISATION,
                Role.QUALITY_ASSURER: OrganisationKind.ASSESSMENT_ORGANISATION,
            }[role]
            organisation = self.organisation(kind)
        values.setdefault("email", f"{role.value}{n}@example.test")
        values.setdefault("name", f"{role.label} {n}")
        values.setdefault("password_hash", _PASSWORD_HASH)
        user = User(role=role, organisation=organisation, **values)
        db.session.add(user)
        db.session.flush()
        return user

    def apprenticeship(
        self,
        *,
        apprentice: User | None = None,
        line_manager: User | None = None,
        tutor: User | None = None,
        code: str = "ST0072",
        start_date: dt.date | None = None,
    ) -> Apprenticeship:
        employer = (
            (apprentice or line_manager).organisation if (apprentice or line_manager) else None
        )
        employer = employer or self.organisation(OrganisationKind.EMPLOYER)
        apprentice = apprentice or self.user(Role.APPRENTICE, employer)
        line_manager = line_manager or self.user(Role.EMPLOYER_CONTACT, employer)
        tutor = tutor or self.user(Role.TUTOR)
        item = Apprenticeship(
            apprentice=apprentice,
            standard=get_standard_or_404(code),
            start_date=start_date or dt.date.today() - dt.timedelta(days=120),
            employer=employer,
            line_manager=line_manager,
            provider=tutor.organisation,
            tutor=tutor,
        )
        db.session.add(item)
        db.session.flush()
        return item


# ---- evidence and tags ------------------------------------------------------------------


def add_item(apprenticeship: Apprenticeship, kind: EvidenceKind, title: str = "Item") -> Evidence:
    """Written evidence (no file) through the evidence service."""
    details = evidence.EvidenceDetails(
        title=title,
        kind=kind,
        description="What happened, in the apprentice's words.",
        witness_name="Sam Witness" if kind is EvidenceKind.WITNESS_STATEMENT else None,
        witness_relationship="Supervisor" if kind is EvidenceKind.WITNESS_STATEMENT else None,
    )
    return evidence.add_evidence(
        apprenticeship.apprentice,
        apprenticeship,
        storage=None,
        stream=None,
        filename=None,
        max_bytes=0,
        details=details,
    )


def tag(item: Evidence, ref: str) -> EvidenceTag:
    return evidence.tag_evidence(
        item.apprenticeship.apprentice,
        item,
        ref=ref,
        justification="This shows the unit because I did exactly that.",
    )


def accept(tag_: EvidenceTag, yes: bool = True) -> EvidenceTag:
    return evidence.review_tag(
        tag_.evidence.apprenticeship.tutor, tag_, accept=yes, comment="" if yes else "More detail."
    )


def refs(apprenticeship: Apprenticeship) -> list[str]:
    return [u.ref for u in standards.rules_for(apprenticeship.standard).units]


def make_wav(size: int) -> bytes:
    """A real WAV file of about ``size`` bytes (silence), which the sniffer accepts."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes(b"\x00\x00" * ((size - 44) // 2))
    return buffer.getvalue()


# ---- the gateway journey ----------------------------------------------------------------


def build_journey(make):
    """An apprentice 13 months in, with two pieces of accepted evidence, and an assessment org."""
    start = dt.date.today() - dt.timedelta(days=400)
    item = make.apprenticeship(start_date=start)
    ao = make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION, "EPA Ltd")
    people = {
        "apprentice": item.apprentice,
        "manager": item.line_manager,
        "tutor": item.tutor,
        "ao_admin": make.user(Role.ADMIN, ao),
        "assessor": make.user(Role.ASSESSOR, ao),
        "other_assessor": make.user(
            Role.ASSESSOR, make.organisation(OrganisationKind.ASSESSMENT_ORGANISATION)
        ),
        "qa": make.user(Role.QUALITY_ASSURER, ao),
    }
    storage = get_storage()
    items = []
    for name, kind in (
        ("sample.mp3", EvidenceKind.RECORDING),
        ("sample.pdf", EvidenceKind.WITNESS_STATEMENT),
    ):
        with (SAMPLES / name).open("rb") as stream:
            e = evidence.add_evidence(
                item.apprentice,
                item,
                storage=storage,
                stream=stream,
                filename=name,
                max_bytes=10**8,
                details=evidence.EvidenceDetails(
                    kind=kind, witness_name="Marcus", witness_relationship="line manager"
                ),
            )
        tag = (
            evidence.tag_evidence(
                item.apprentice,
                e,
                ref="ST0072/understanding-the-organisation/1.1",
                justification="Shows I know the business purpose.",
            )
            if not items
            else None
        )
        if tag:
            evidence.review_tag(item.tutor, tag, accept=True)
        items.append(e)
    for month in (3, 6, 9):
        sign_review_point(item, month)
    return item, ao, people, items


def sign_review_point(item, month: int) -> None:
    """The apprentice, line manager and tutor hold the review due at ``month``, write their
    sections and sign it."""
    from showcase.reviews import services as reviews
    from showcase.standards.sufficiency import add_months

    held = add_months(item.start_date, month)
    sign_all(reviews.ensure_review(item.tutor, item, month, today=held))


def write_own_sections(review, *people) -> None:
    """Each of ``people`` (all three parties if none are named) writes the sections of the
    review's template that are theirs to write before they sign and are still empty.

    Call it before anybody signs: a changed section clears the signatures so far."""
    from showcase.reviews import services as reviews
    from showcase.reviews.permissions import signer_role

    item = review.apprenticeship
    for person in people or (item.apprentice, item.line_manager, item.tutor):
        role = signer_role(person, item)
        for section in reviews.missing_sections(review, role) if role else []:
            reviews.save_section(person, review, section.key, f"{section.title}, by {person.name}.")


def sign_all(review, *people) -> None:
    """``people`` (the tutor, the line manager and the apprentice if none are named) write
    their own sections, then sign in that order; the last signature freezes the review."""
    from showcase.reviews import services as reviews

    item = review.apprenticeship
    people = people or (item.tutor, item.line_manager, item.apprentice)
    write_own_sections(review, *people)
    for person in people:
        reviews.sign_review(person, review)


def prepare(journey) -> Submission:
    """Choose evidence, write the summary, acknowledge every gap, both sign off."""
    item, ao, people, items = journey
    draft = submissions.start_version(people["apprentice"], item)
    submissions.set_items(people["apprentice"], draft, [e.id for e in items])
    submissions.set_summary(
        people["apprentice"], draft, summary="My year.", assessment_organisation_id=ao.id
    )
    for gap in submissions.checklist(draft).gaps:
        submissions.acknowledge_gap(
            people["tutor"],
            draft,
            ref=gap.ref,
            note="Covered in the professional discussion instead.",
        )
    submissions.sign_off(people["manager"], draft, confirm=True)
    submissions.sign_off(people["tutor"], draft, confirm=True)
    return draft


def api_headers(user) -> dict:
    from showcase.accounts.services import create_api_token

    _token, plain = create_api_token(user, name="api")
    return {"Authorization": f"Bearer {plain}"}
