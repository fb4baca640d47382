"""Witness endpoints of the JSON API: ask for a statement, list an apprenticeship's requests,
resend, withdraw, and a signed statement's signature record and verification. The witness's
own page is a one-time link, not an API client, so it is not here."""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_login import current_user
from pydantic import BaseModel

from showcase import db
from showcase.api import bp, responses, spec, text, validated_body
from showcase.portfolios.loaders import get_apprenticeship_or_404
from showcase.storage_ext import get_storage
from showcase.witnesses import services
from showcase.witnesses.loaders import (
    get_register_apprenticeship_or_404,
    get_request_or_404,
    get_signature_or_404,
)
from showcase.witnesses.models import WitnessRequest, WitnessSignature, WitnessState


class WitnessRequestIn(BaseModel):
    witness_name: text(200)
    witness_email: text(254)
    witness_role: text(200)
    witness_relationship: text(200)
    witness_organisation: text(200) = ""
    #: Unit refs of the apprenticeship's standard, e.g. ST0072/knowing-your-customers/1.1.
    unit_refs: list[text(200)]
    activity_date: dt.date
    note: text(services.NOTE_MAX)


class WitnessRequestOut(BaseModel):
    id: int
    apprenticeship_id: int
    witness_name: str
    witness_email: str
    witness_role: str
    witness_relationship: str
    witness_organisation: str
    unit_refs: list[str]
    activity_date: dt.date
    note: str
    #: waiting, expired, signed, declined or revoked (withdrawn).
    state: WitnessState
    created_at: dt.datetime
    sent_at: dt.datetime
    expires_at: dt.datetime
    sends: int
    answered_at: dt.datetime | None = None
    decline_reason: str | None = None
    #: The sealed evidence item, once signed.
    evidence_id: int | None = None


class WitnessRequestList(BaseModel):
    items: list[WitnessRequestOut]


class CheckOut(BaseModel):
    label: str
    ok: bool
    detail: str


class SignatureOut(BaseModel):
    evidence_id: int
    request_id: int
    signer_name: str
    signer_role: str
    signer_relationship: str
    signer_organisation: str
    typed_signature: str
    declaration: str
    sent_to_email: str
    signed_at: dt.datetime
    client_address: str
    user_agent: str
    hash_version: int
    statement_sha256: str
    file_sha256: str | None = None
    pdf_sha256: str | None = None


class VerificationOut(BaseModel):
    ok: bool
    statement_sha256: str
    recomputed_sha256: str | None = None
    checks: list[CheckOut]
    signature: SignatureOut


def serialise(request: WitnessRequest) -> WitnessRequestOut:
    return WitnessRequestOut(
        id=request.id,
        apprenticeship_id=request.apprenticeship_id,
        witness_name=request.witness_name,
        witness_email=request.witness_email,
        witness_role=request.witness_role,
        witness_relationship=request.witness_relationship,
        witness_organisation=request.witness_organisation,
        unit_refs=list(request.unit_refs),
        activity_date=request.activity_date,
        note=request.note,
        state=request.state(db.utcnow()),
        created_at=request.created_at,
        sent_at=request.sent_at,
        expires_at=request.expires_at,
        sends=request.sends,
        answered_at=request.answered_at,
        decline_reason=request.decline_reason,
        evidence_id=request.evidence_id,
    )


def serialise_signature(signature: WitnessSignature) -> SignatureOut:
    return SignatureOut(
        evidence_id=signature.evidence_id,
        request_id=signature.request_id,
        signer_name=signature.signer_name,
        signer_role=signature.signer_role,
        signer_relationship=signature.signer_relationship,
        signer_organisation=signature.signer_organisation,
        typed_signature=signature.typed_signature,
        declaration=signature.declaration,
        sent_to_email=signature.sent_to_email,
        signed_at=signature.signed_at,
        client_address=signature.client_address,
        user_agent=signature.user_agent,
        hash_version=signature.hash_version,
        statement_sha256=signature.statement_sha256,
        file_sha256=signature.file_sha256,
        pdf_sha256=signature.pdf_sha256,
    )


def _link_days() -> float:
    return float(current_app.config["WITNESS_LINK_DAYS"])


@bp.post("/apprenticeships/<int:apprenticeship_id>/witness-requests")
@spec.validate(
    json=WitnessRequestIn, resp=responses(403, HTTP_201=WitnessRequestOut), tags=["witnesses"]
)
def create_witness_request(apprenticeship_id: int) -> tuple[WitnessRequestOut, int]:
    """Ask a named person for a witness statement about chosen units (the apprentice or their
    tutor); the witness is emailed a one-time link."""
    body: WitnessRequestIn = validated_body()
    apprenticeship = get_apprenticeship_or_404(current_user, apprenticeship_id)
    request = services.request_statement(
        current_user,
        apprenticeship,
        services.RequestDetails(**body.model_dump()),
        link_days=_link_days(),
    )
    return serialise(request), 201


@bp.get("/apprenticeships/<int:apprenticeship_id>/witness-requests")
@spec.validate(resp=responses(HTTP_200=WitnessRequestList), tags=["witnesses"])
def list_witness_requests(apprenticeship_id: int) -> WitnessRequestList:
    """Every witness request of the apprenticeship, newest first (the witness register)."""
    apprenticeship = get_register_apprenticeship_or_404(current_user, apprenticeship_id)
    return WitnessRequestList(items=[serialise(r) for r in services.requests_of(apprenticeship)])


@bp.post("/witness-requests/<int:request_id>/resend")
@spec.validate(resp=responses(403, 409, HTTP_200=WitnessRequestOut), tags=["witnesses"])
def resend_witness_request(request_id: int) -> WitnessRequestOut:
    """Send a new link (the earlier one stops working); 409 once answered or withdrawn."""
    request = get_request_or_404(current_user, request_id)
    services.resend_request(current_user, request, link_days=_link_days())
    return serialise(request)


@bp.post("/witness-requests/<int:request_id>/revoke")
@spec.validate(resp=responses(403, 409, HTTP_200=WitnessRequestOut), tags=["witnesses"])
def revoke_witness_request(request_id: int) -> WitnessRequestOut:
    """Withdraw a waiting request: its link stops working; 409 once answered or withdrawn."""
    request = get_request_or_404(current_user, request_id)
    services.revoke_request(current_user, request)
    return serialise(request)


@bp.get("/witness-statements/<int:evidence_id>/signature")
@spec.validate(resp=responses(HTTP_200=SignatureOut), tags=["witnesses"])
def get_witness_signature(evidence_id: int) -> SignatureOut:
    """The signature record of a signed witness statement (by its evidence item)."""
    return serialise_signature(get_signature_or_404(current_user, evidence_id))


@bp.get("/witness-statements/<int:evidence_id>/verify")
@spec.validate(resp=responses(503, HTTP_200=VerificationOut), tags=["witnesses"])
def verify_witness_statement(evidence_id: int) -> VerificationOut:
    """Re-read the statement's text, file and PDF from storage and recompute every SHA-256."""
    signature = get_signature_or_404(current_user, evidence_id)
    result = services.verify_signature(signature, get_storage())
    return VerificationOut(
        ok=result.ok,
        statement_sha256=signature.statement_sha256,
        recomputed_sha256=result.recomputed_sha256,
        checks=[CheckOut(label=c.label, ok=c.ok, detail=c.detail) for c in result.checks],
        signature=serialise_signature(signature),
    )
