"""Witness testimony. Each operation takes the acting user (None: the witness, who has no
account) and only flushes; the request commits.

A request emails a named person a single-use link (its token stored only as a SHA-256, as
invitations are). Opening it shows the apprentice's name, the units asked about in plain words
and the asker's note, nothing else. Signing turns the statement into a sealed evidence item of
kind witness statement with pending tags to the units, a signature record and a PDF.

**The statement's canonical bytes** (``hash_version`` 1), over which ``statement_sha256`` is
computed and which the verify page states too::

    b"showcase-witness-statement-v1\\n"
    + b"file-sha256:" + (hex SHA-256 of the uploaded file, or b"none") + b"\\n"
    + the statement text, UTF-8, line breaks as LF, no surrounding whitespace

The file enters by its digest, so the hash changes with any byte of the file, and the text is
last, so no text can imitate a different file line. Verification re-reads the text and streams
the stored file and PDF again, recomputing every digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from showcase import db
from showcase.accounts.models import User
from showcase.audit.services import record
from showcase.errors import Conflict, Forbidden, NotFound, ShowcaseError, ValidationFailed
from showcase.evidence.models import (
    Evidence,
    EvidenceKind,
    EvidenceTag,
    StoredFile,
    TagEvent,
    TagStatus,
)
from showcase.portfolios.models import Apprenticeship
from showcase.standards.models import ReferenceKind, StandardReference
from showcase.standards.schema import Unit
from showcase.standards.services import doc_for
from showcase.storage import Storage, new_key
from showcase.storage.base import COPY_CHUNK_SIZE, ObjectNotFound, ReadableStream
from showcase.storage.ingest import ingest
from showcase.storage.scan import Scanner
from showcase.witnesses import emails
from showcase.witnesses.models import (
    WitnessRequest,
    WitnessRequestStatus,
    WitnessSignature,
    WitnessState,
)
from showcase.witnesses.permissions import can_manage_request, can_request_statement

#: The longest statement accepted, in characters (about eight pages).
STATEMENT_MAX = 20_000
NOTE_MAX = 2_000
REASON_MAX = 2_000
NAME_MAX = 200
EMAIL_MAX = 254
USER_AGENT_MAX = 500
HASH_VERSION = 1
CANONICAL_HEADER = b"showcase-witness-statement-v1\n"
#: Declined and expired requests stay on the to-do lists this long, unless asked again.
TODO_DAYS = 30


class LinkGone(ShowcaseError):
    """The witness link was used, withdrawn or has expired: it no longer works."""

    status_code = 410
    code = "link_gone"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def normalise_text(text: str | None) -> str:
    """The statement as it is stored and hashed: LF line breaks, NFC, trimmed."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def canonical_statement(text: str, file_sha256: str | None) -> bytes:
    """The exact bytes a statement's SHA-256 is computed over (see the module docstring)."""
    return (
        CANONICAL_HEADER
        + b"file-sha256:"
        + (file_sha256 or "none").encode("ascii")
        + b"\n"
        + text.encode("utf-8")
    )


def statement_sha256(text: str, file_sha256: str | None) -> str:
    return hashlib.sha256(canonical_statement(text, file_sha256)).hexdigest()


def declaration_for(apprentice_name: str) -> str:
    """The declaration a witness ticks; its exact words are kept with the signature."""
    return (
        f"I confirm that this statement is my own account of what I saw of {apprentice_name}'s "
        "work, that it is true to the best of my knowledge, and that I am the person named "
        "above. I understand that it will be kept in their portfolio and read by their tutor, "
        "their employer and an independent assessor."
    )


# -- asking --------------------------------------------------------------------------------------


@dataclass
class RequestDetails:
    """Who is asked, about which units, and what happened."""

    witness_name: str = ""
    witness_email: str = ""
    witness_role: str = ""
    witness_relationship: str = ""
    witness_organisation: str = ""
    unit_refs: Sequence[str] = ()
    activity_date: dt.date | None = None
    note: str = ""


def _required(value: str, field_name: str, message: str, limit: int = NAME_MAX) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, field=field_name)
    if len(value) > limit:
        raise ValidationFailed(f"Keep this under {limit} characters.", field=field_name)
    return value


def _email(value: str) -> str:
    email = (value or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > EMAIL_MAX:
        raise ValidationFailed(
            "Enter the witness's email address, like name@example.com.", field="witness_email"
        )
    return email


def _check_units(apprenticeship: Apprenticeship, refs: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(r.strip() for r in refs if r and r.strip()))
    if not wanted:
        raise ValidationFailed(
            "Choose at least one unit the witness can speak about.", field="unit_refs"
        )
    known = set(
        db.session.scalars(
            select(StandardReference.ref).where(
                StandardReference.standard_id == apprenticeship.standard_id,
                StandardReference.kind == ReferenceKind.UNIT,
                StandardReference.ref.in_(wanted),
            )
        )
    )
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise ValidationFailed(
            f"{unknown[0]} is not a unit of {apprenticeship.standard.code}.", field="unit_refs"
        )
    return wanted


def _checked_details(apprenticeship: Apprenticeship, details: RequestDetails) -> RequestDetails:
    name = _required(details.witness_name, "witness_name", "Enter the witness's full name.")
    email = _email(details.witness_email)
    if email == apprenticeship.apprentice.email.strip().lower():
        raise ValidationFailed(
            "A witness statement comes from someone else: this is the apprentice's own email "
            "address. Enter the witness's address.",
            field="witness_email",
        )
    role = _required(details.witness_role, "witness_role", "Enter the witness's job title.")
    relationship = _required(
        details.witness_relationship,
        "witness_relationship",
        "Say how the witness knows the apprentice (their supervisor, a colleague…).",
    )
    organisation = (details.witness_organisation or "").strip()
    if len(organisation) > NAME_MAX:
        raise ValidationFailed(
            f"Keep this under {NAME_MAX} characters.", field="witness_organisation"
        )
    refs = _check_units(apprenticeship, details.unit_refs)
    if details.activity_date is None:
        raise ValidationFailed("Enter when it happened.", field="activity_date")
    if details.activity_date > dt.date.today():
        raise ValidationFailed("The date cannot be in the future.", field="activity_date")
    note = _required(
        details.note,
        "note",
        "Say briefly what happened, so the witness knows what to write about.",
        NOTE_MAX,
    )
    return RequestDetails(name, email, role, relationship, organisation, refs,
                          details.activity_date, note)  # fmt: skip


def _new_link(request: WitnessRequest, now: dt.datetime, link_days: float) -> str:
    token = secrets.token_urlsafe(32)
    request.token_hash = _sha256(token)
    request.sent_at = now
    request.expires_at = now + dt.timedelta(days=link_days)
    return token


def request_statement(
    actor: User, apprenticeship: Apprenticeship, details: RequestDetails, *, link_days: float
) -> WitnessRequest:
    """Ask a named person for a statement and email them the link (after the commit)."""
    if not can_request_statement(actor, apprenticeship):
        raise Forbidden("Only the apprentice or their tutor asks for witness statements.")
    checked = _checked_details(apprenticeship, details)
    now = db.utcnow()
    request = WitnessRequest(
        apprenticeship=apprenticeship,
        requested_by_id=actor.id,
        witness_name=checked.witness_name,
        witness_email=checked.witness_email,
        witness_role=checked.witness_role,
        witness_relationship=checked.witness_relationship,
        witness_organisation=checked.witness_organisation,
        note=checked.note,
        activity_date=checked.activity_date,
        unit_refs=list(checked.unit_refs),
        status=WitnessRequestStatus.WAITING,
        created_at=now,
        sends=1,
    )
    token = _new_link(request, now, link_days)
    db.session.add(request)
    db.session.flush()
    record(
        actor,
        "witness.requested",
        request,
        apprenticeship_id=apprenticeship.id,
        witness_email=request.witness_email,
        units=request.unit_refs,
        expires_at=request.expires_at,
    )
    emails.send_request(request, token, requester=actor)
    return request


def _ensure_manageable(actor: User, request: WitnessRequest) -> None:
    db.lock_for_change(request)  # a witness signing at this moment: one of the two waits
    if not can_request_statement(actor, request.apprenticeship):
        raise Forbidden("Only the apprentice or their tutor manages witness requests.")
    if not can_manage_request(actor, request):
        raise Conflict(
            f"This request is already {request.status.value}: it can no longer be resent or "
            "withdrawn. To ask the witness again, make a new request."
        )


def resend_request(actor: User, request: WitnessRequest, *, link_days: float) -> WitnessRequest:
    """Send a new link (the old one stops working), valid for ``link_days`` from now."""
    _ensure_manageable(actor, request)
    now = db.utcnow()
    token = _new_link(request, now, link_days)
    request.sends += 1
    db.session.flush()
    record(
        actor,
        "witness.resent",
        request,
        apprenticeship_id=request.apprenticeship_id,
        sends=request.sends,
        expires_at=request.expires_at,
    )
    emails.send_request(request, token, requester=actor)
    return request


def revoke_request(actor: User, request: WitnessRequest) -> WitnessRequest:
    """Withdraw a request: its link stops working at once."""
    _ensure_manageable(actor, request)
    request.status = WitnessRequestStatus.REVOKED
    request.answered_at = db.utcnow()
    request.revoked_by_id = actor.id
    db.session.flush()
    record(actor, "witness.revoked", request, apprenticeship_id=request.apprenticeship_id)
    return request


# -- the witness's link -------------------------------------------------------------------------


def find_request(token: str) -> WitnessRequest:
    """The request a link opens; NotFound for a link that never existed (or was mangled),
    LinkGone for one used, withdrawn, replaced by a resend, or expired."""
    request = db.session.scalar(
        select(WitnessRequest)
        .where(WitnessRequest.token_hash == _sha256(token or ""))
        .options(selectinload(WitnessRequest.apprenticeship))
    )
    if request is None:
        raise NotFound(
            "This link is not valid: it may have been replaced by a newer one (use the link in "
            "the most recent email), or only part of it was opened. Nothing has been changed."
        )
    _check_usable(request)
    return request


def _check_usable(request: WitnessRequest) -> None:
    state = request.state(db.utcnow())
    if state is WitnessState.WAITING:
        return
    message = {
        WitnessState.SIGNED: "This statement has already been signed; the link worked once. "
        "Thank you — there is nothing more to do.",
        WitnessState.DECLINED: "You have already declined this request; the link worked once.",
        WitnessState.REVOKED: "This request has been withdrawn, so the link no longer works. "
        "There is nothing more to do.",
        WitnessState.EXPIRED: "This link has expired. If you still want to give a statement, "
        "ask the person who asked you to send a new link.",
    }[state]
    raise LinkGone(message)


def units_in_words(request: WitnessRequest) -> list[Unit]:
    """The requested units as the standard words them, in the standard's order."""
    doc = doc_for(request.apprenticeship.standard)
    wanted = set(request.unit_refs)
    return [u for u in doc.units() if u.ref in wanted]


@dataclass
class SignerDetails:
    """The witness's details as they confirm them, and their signature."""

    name: str = ""
    role: str = ""
    relationship: str = ""
    organisation: str = ""
    typed_signature: str = ""
    declaration: bool = False


@dataclass
class ClientInfo:
    address: str
    user_agent: str


def decline(request: WitnessRequest, *, reason: str, client: ClientInfo) -> WitnessRequest:
    """The witness says no, with a reason; the link is spent."""
    db.lock_for_change(request)
    _check_usable(request)
    reason = normalise_text(reason)
    if not reason:
        raise ValidationFailed(
            "Say briefly why, so the apprentice knows whether to ask someone else.",
            field="reason",
        )
    if len(reason) > REASON_MAX:
        raise ValidationFailed(f"Keep the reason under {REASON_MAX} characters.", field="reason")
    request.status = WitnessRequestStatus.DECLINED
    request.answered_at = db.utcnow()
    request.decline_reason = reason
    db.session.flush()
    record(
        None,
        "witness.declined",
        request,
        apprenticeship_id=request.apprenticeship_id,
        client_address=client.address,
    )
    return request


def _checked_signer(request: WitnessRequest, signer: SignerDetails) -> SignerDetails:
    name = _required(signer.name, "signer_name", "Enter your full name.")
    role = _required(signer.role, "signer_role", "Enter your job title.")
    relationship = _required(
        signer.relationship, "signer_relationship", "Say how you know the apprentice."
    )
    organisation = (signer.organisation or "").strip()[:NAME_MAX]
    typed = " ".join((signer.typed_signature or "").split())
    if not typed:
        raise ValidationFailed("Type your full name to sign.", field="typed_signature")
    if typed.casefold() != " ".join(name.split()).casefold():
        raise ValidationFailed(
            "Type your full name exactly as you gave it above to sign.", field="typed_signature"
        )
    if not signer.declaration:
        raise ValidationFailed(
            "Tick the declaration to confirm the statement is yours and true.",
            field="declaration",
        )
    return SignerDetails(name, role, relationship, organisation, typed, True)


def _check_statement(text: str, has_file: bool) -> str:
    text = normalise_text(text)
    if not text and not has_file:
        raise ValidationFailed(
            "Write your statement (or attach a document or recording of it).", field="statement"
        )
    if len(text) > STATEMENT_MAX:
        raise ValidationFailed(
            f"Your statement is {len(text):,} characters long; keep it under "
            f"{STATEMENT_MAX:,} (about eight pages), or attach it as a document.",
            field="statement",
        )
    return text


def _stored_file(
    owner_id: int, *, key: str, size: int, sha256: str, mime: str, name: str
) -> StoredFile:
    stored = StoredFile(
        key=key,
        size=size,
        sha256=sha256,
        mime_type=mime,
        display_name=name,
        uploaded_by_id=owner_id,
    )
    db.session.add(stored)
    return stored


def _tag_units(request: WitnessRequest, evidence: Evidence, signer: SignerDetails) -> None:
    """Pending tags to the requested units, for the tutor to accept or send back as usual."""
    references = db.session.scalars(
        select(StandardReference)
        .where(
            StandardReference.standard_id == request.apprenticeship.standard_id,
            StandardReference.kind == ReferenceKind.UNIT,
            StandardReference.ref.in_(list(request.unit_refs)),
        )
        .order_by(StandardReference.position)
    ).all()
    justification = (
        f"{signer.name} ({signer.role}; {signer.relationship}) signed a witness statement "
        "about this unit."
    )
    for reference in references:
        tag = EvidenceTag(
            evidence=evidence,
            reference=reference,
            justification=justification,
            status=TagStatus.PENDING,
        )
        db.session.add(tag)
        # The asker stands in as the event's actor: the witness has no account.
        db.session.add(
            TagEvent(
                tag=tag,
                actor_id=request.requested_by_id,
                action="created",
                justification=justification,
                comment="from a signed witness statement",
            )
        )
        db.session.flush()
        record(
            None,
            "tag.created",
            tag,
            apprenticeship_id=evidence.apprenticeship_id,
            evidence_id=evidence.id,
            ref=reference.ref,
            comment="from a signed witness statement",
        )


def sign_statement(
    request: WitnessRequest,
    *,
    statement: str,
    signer: SignerDetails,
    client: ClientInfo,
    storage: Storage,
    written: list[str],
    upload: ReadableStream | None = None,
    filename: str | None = None,
    max_bytes: int = 0,
    scanner: Scanner | None = None,
) -> WitnessSignature:
    """Seal the statement as evidence, record the signature and store its PDF (flushes).

    Blobs (the upload, the PDF) are written first and their keys appended to ``written``: the
    caller commits inside ``storage.blobs_removed_on_failure``, as every upload does.
    """
    db.lock_for_change(request)  # two submits of one link: the second finds it spent
    _check_usable(request)
    checked = _checked_signer(request, signer)
    text = _check_statement(statement, upload is not None)
    apprenticeship = request.apprenticeship
    stored = None
    if upload is not None:
        key = new_key()
        ingested = ingest(
            upload,
            filename=filename or "statement",
            storage=storage,
            key=key,
            max_bytes=max_bytes,
            scanner=scanner,
        )
        written.append(key)
        stored = _stored_file(
            request.requested_by_id,
            key=key,
            size=ingested.size,
            sha256=ingested.sha256,
            mime=ingested.mime_type,
            name=ingested.display_name,
        )
    now = db.utcnow()
    evidence = Evidence(
        apprenticeship=apprenticeship,
        file=stored,
        title=f"Witness statement from {checked.name}"[:200],
        kind=EvidenceKind.WITNESS_STATEMENT,
        activity_date=request.activity_date,
        description=text,
        witness_name=checked.name,
        witness_role=checked.role,
        witness_relationship=checked.relationship,
        witness_contact=request.witness_email,
        created_by_id=request.requested_by_id,
        sealed_at=now,
    )
    db.session.add(evidence)
    db.session.flush()
    record(
        None,
        "evidence.added",
        evidence,
        apprenticeship_id=apprenticeship.id,
        sha256=stored.sha256 if stored else None,
        size=stored.size if stored else None,
        witness_request_id=request.id,
    )
    _tag_units(request, evidence, checked)
    signature = WitnessSignature(
        request=request,
        evidence=evidence,
        signer_name=checked.name,
        signer_role=checked.role,
        signer_relationship=checked.relationship,
        signer_organisation=checked.organisation,
        typed_signature=checked.typed_signature,
        declaration=declaration_for(apprenticeship.apprentice.name),
        sent_to_email=request.witness_email,
        signed_at=now,
        client_address=(client.address or "unknown")[:64],
        user_agent=(client.user_agent or "")[:USER_AGENT_MAX],
        hash_version=HASH_VERSION,
        statement_sha256=statement_sha256(text, stored.sha256 if stored else None),
        file_sha256=stored.sha256 if stored else None,
    )
    db.session.add(signature)
    request.status = WitnessRequestStatus.SIGNED
    request.answered_at = now
    request.evidence = evidence
    db.session.flush()
    _store_pdf(signature, storage, written)
    record(
        None,
        "witness.signed",
        request,
        apprenticeship_id=apprenticeship.id,
        evidence_id=evidence.id,
        signature_id=signature.id,
        signer_name=checked.name,
        sent_to_email=request.witness_email,
        statement_sha256=signature.statement_sha256,
        pdf_sha256=signature.pdf_sha256,
        client_address=signature.client_address,
    )
    return signature


def _store_pdf(signature: WitnessSignature, storage: Storage, written: list[str]) -> None:
    from showcase.witnesses.pdf import render_statement

    body = render_statement(signature, units_in_words(signature.request))
    key = new_key("witness")
    saved = storage.save(key, io.BytesIO(body))
    written.append(key)
    signature.pdf_file = _stored_file(
        signature.request.requested_by_id,
        key=key,
        size=saved.size,
        sha256=hashlib.sha256(body).hexdigest(),
        mime="application/pdf",
        name=f"witness-statement-{signature.evidence_id}.pdf",
    )
    signature.pdf_sha256 = signature.pdf_file.sha256
    db.session.flush()


# -- verification -------------------------------------------------------------------------------


@dataclass
class Check:
    label: str
    ok: bool
    detail: str


@dataclass
class Verification:
    signature: WitnessSignature
    recomputed_sha256: str | None
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def _stream_sha256(storage: Storage, key: str) -> str | None:
    """The SHA-256 of a stored blob, read in chunks; None when it is missing."""
    digest = hashlib.sha256()
    try:
        with storage.open(key) as blob:
            while chunk := blob.read(COPY_CHUNK_SIZE):
                digest.update(chunk)
    except ObjectNotFound:
        return None
    return digest.hexdigest()


def verify_signature(signature: WitnessSignature, storage: Storage) -> Verification:
    """Re-read the statement (text, file) and its PDF and recompute every digest."""
    evidence = signature.evidence
    checks: list[Check] = []
    file_sha = None
    if signature.file_sha256 is not None or evidence.file is not None:
        file_sha = _stream_sha256(storage, evidence.file.key) if evidence.file else None
        if file_sha is None:
            detail = "missing from storage"
        elif file_sha == signature.file_sha256:
            detail = f"SHA-256 {file_sha}"
        else:
            detail = f"SHA-256 {file_sha}, signed {signature.file_sha256}"
        ok = file_sha is not None and file_sha == signature.file_sha256
        checks.append(Check("Attached file", ok, detail))
    recomputed = statement_sha256(evidence.description, file_sha if file_sha else None)
    if signature.file_sha256 is not None and file_sha is None:
        recomputed = None
    checks.insert(
        0,
        Check(
            "Statement (text and file)",
            recomputed == signature.statement_sha256,
            f"recomputed {recomputed or 'impossible: the file is missing'}; "
            f"signed {signature.statement_sha256}",
        ),
    )
    if signature.pdf_file is None:
        checks.append(Check("PDF copy", False, "no PDF was stored"))
    else:
        pdf_sha = _stream_sha256(storage, signature.pdf_file.key)
        checks.append(
            Check(
                "PDF copy",
                pdf_sha == signature.pdf_sha256,
                "missing from storage" if pdf_sha is None else f"SHA-256 {pdf_sha}",
            )
        )
    return Verification(signature=signature, recomputed_sha256=recomputed, checks=checks)


# -- reading ------------------------------------------------------------------------------------


def requests_of(apprenticeship: Apprenticeship) -> list[WitnessRequest]:
    """Every request of the apprenticeship, newest first, with signatures."""
    return list(
        db.session.scalars(
            select(WitnessRequest)
            .where(WitnessRequest.apprenticeship_id == apprenticeship.id)
            .order_by(WitnessRequest.created_at.desc(), WitnessRequest.id.desc())
            .options(
                selectinload(WitnessRequest.signature).selectinload(WitnessSignature.pdf_file),
                selectinload(WitnessRequest.requested_by),
            )
        )
    )


@dataclass
class Witness:
    """One person in the register, with every request sent to them."""

    email: str
    name: str
    role: str
    relationship: str
    organisation: str
    requests: list[WitnessRequest] = field(default_factory=list)

    @property
    def signed(self) -> list[WitnessRequest]:
        return [r for r in self.requests if r.signature is not None]


def register(apprenticeship: Apprenticeship) -> list[Witness]:
    """The witness register: each witness (by email) with their requests and statements. The
    details shown are the latest the witness confirmed when signing, else the asker's."""
    witnesses: dict[str, Witness] = {}
    for request in requests_of(apprenticeship):  # newest first: the first seen is the latest
        witness = witnesses.get(request.witness_email)
        if witness is None:
            sig = request.signature
            witness = witnesses[request.witness_email] = Witness(
                email=request.witness_email,
                name=sig.signer_name if sig else request.witness_name,
                role=sig.signer_role if sig else request.witness_role,
                relationship=sig.signer_relationship if sig else request.witness_relationship,
                organisation=sig.signer_organisation if sig else request.witness_organisation,
            )
        witness.requests.append(request)
    return sorted(witnesses.values(), key=lambda w: w.name.casefold())


def signature_for_evidence(evidence_id: int) -> WitnessSignature | None:
    return signatures_for_evidence([evidence_id]).get(evidence_id)


def signatures_for_evidence(evidence_ids: Sequence[int]) -> dict[int, WitnessSignature]:
    """The signatures of these items that are witness statements, by item (one query)."""
    if not evidence_ids:
        return {}
    found = db.session.scalars(
        select(WitnessSignature)
        .where(WitnessSignature.evidence_id.in_(list(evidence_ids)))
        .options(
            selectinload(WitnessSignature.request),
            selectinload(WitnessSignature.pdf_file),
        )
    )
    return {signature.evidence_id: signature for signature in found}


@dataclass(frozen=True)
class TodoRequest:
    """A request that belongs on a to-do list: waiting, or declined or expired lately."""

    id: int
    apprenticeship_id: int
    witness_name: str
    state: WitnessState
    since: dt.date
    reason: str | None


def todo_requests(apprenticeship_ids: Sequence[int], now: dt.datetime) -> list[TodoRequest]:
    """Requests of these apprenticeships still waiting, or declined or expired within
    TODO_DAYS and not asked again of the same person since: one query for every learner."""
    if not apprenticeship_ids:
        return []
    cutoff = now - dt.timedelta(days=TODO_DAYS)
    rows = db.session.execute(
        select(
            WitnessRequest.id,
            WitnessRequest.apprenticeship_id,
            WitnessRequest.witness_name,
            WitnessRequest.witness_email,
            WitnessRequest.status,
            WitnessRequest.sent_at,
            WitnessRequest.expires_at,
            WitnessRequest.answered_at,
            WitnessRequest.decline_reason,
        )
        .where(
            WitnessRequest.apprenticeship_id.in_(list(apprenticeship_ids)),
            WitnessRequest.created_at > cutoff - dt.timedelta(days=60),
        )
        .order_by(WitnessRequest.created_at, WitnessRequest.id)
    ).all()
    latest: dict[tuple[int, str], tuple] = {}
    for row in rows:
        latest[(row.apprenticeship_id, row.witness_email)] = row  # oldest first: newest wins
    items = []
    for row in latest.values():
        if row.status is WitnessRequestStatus.WAITING:
            expired = row.expires_at <= now
            if expired and row.expires_at <= cutoff:
                continue
            state = WitnessState.EXPIRED if expired else WitnessState.WAITING
            since = (row.expires_at if expired else row.sent_at).date()
        elif row.status is WitnessRequestStatus.DECLINED and row.answered_at > cutoff:
            state, since = WitnessState.DECLINED, row.answered_at.date()
        else:
            continue
        items.append(
            TodoRequest(
                row.id, row.apprenticeship_id, row.witness_name, state, since, row.decline_reason
            )
        )
    return items
