"""The gateway and the showcase: choose evidence, check readiness, sign off, lock, verify.

Locking copies every file to a write-once ``frozen/`` key, writes a manifest of every item
(id, title, kind, tags, filename, size, SHA-256, storage key) and stores the manifest's own
SHA-256 as the submission's fingerprint. The frozen copies are written before the commit; if
the commit fails they are deleted (see ``blobs_removed_on_failure``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from showcase import db
from showcase.accounts.models import Organisation, OrganisationKind, User
from showcase.audit.services import ChainHead, chain_head, head_problem, record
from showcase.coverage.services import live_report
from showcase.errors import Conflict, Forbidden, NotFound, SubmissionLocked, ValidationFailed
from showcase.evidence.comments import frozen_additions
from showcase.evidence.models import Evidence
from showcase.evidence.regions import manifest_region
from showcase.portfolios.models import Apprenticeship
from showcase.reviews.services import list_reviews, review_points
from showcase.standards.models import ReferenceKind, StandardReference
from showcase.standards.services import doc_for
from showcase.storage import Storage
from showcase.submissions.models import (
    GapAcknowledgement,
    GatewaySignoff,
    SignoffRole,
    Submission,
    SubmissionItem,
    SubmissionStatus,
)
from showcase.submissions.permissions import can_edit_submission, signoff_role

DECLARATION = (
    "I confirm that {apprentice} has met the minimum requirements of the standard in knowledge, "
    "skills and behaviours and is ready for end-point assessment."
)


def ensure_draft(submission: Submission) -> None:
    """Refuse changes to a locked version. Every change passes here first, so this is where it
    takes the version's row lock (held to commit) and re-reads it: a lock committed meanwhile
    is seen, and sign-offs, selections and the lock itself happen one at a time."""
    db.lock_for_change(submission)
    if submission.is_locked:
        raise SubmissionLocked(
            f"Version {submission.version} of this showcase was submitted on "
            f"{submission.locked_at:%-d %B %Y} and is locked: it can no longer change. "
            "A resubmission starts a new version."
        )


def _ensure_apprentice(actor: User, submission: Submission) -> None:
    ensure_draft(submission)
    if not can_edit_submission(actor, submission):
        raise Forbidden("Only the apprentice chooses what goes into their showcase.")


def versions(apprenticeship: Apprenticeship) -> list[Submission]:
    """Every version, newest first."""
    return list(
        db.session.scalars(
            select(Submission)
            .where(Submission.apprenticeship_id == apprenticeship.id)
            .order_by(Submission.version.desc())
        )
    )


#: (the latest locked version) -> whether a new version may follow it. Its grade decides, and
#: showcase.assessment sits above submissions, so it registers its answer here (wiring).
ResubmissionRule = Callable[[Submission], bool]
_resubmission_rules: list[ResubmissionRule] = []


def add_resubmission_rule(rule: ResubmissionRule) -> None:
    """Let a higher layer say when a locked version may be followed (once per rule)."""
    if rule not in _resubmission_rules:
        _resubmission_rules.append(rule)


def start_version(actor: User, apprenticeship: Apprenticeship) -> Submission:
    """The open draft, or a new version (after a locked one, with its items carried over)."""
    if actor.id != apprenticeship.apprentice_id:
        raise Forbidden("Only the apprentice starts their showcase.")
    # One version at a time, even from two tabs: hold the apprenticeship's row, then look.
    db.lock_for_change(apprenticeship)
    latest = db.session.scalar(
        select(Submission)
        .where(Submission.apprenticeship_id == apprenticeship.id)
        .order_by(Submission.version.desc())
        .limit(1)
    )
    if latest is not None and not latest.is_locked:
        return latest
    if latest is not None and not all(rule(latest) for rule in _resubmission_rules):
        raise Conflict(
            f"Version {latest.version} is with the assessor or has passed, so there is nothing "
            "to resubmit: a new version can follow only a fail (or a showcase nobody is "
            "assessing yet)."
        )
    draft = Submission(
        apprenticeship=apprenticeship,
        version=(latest.version + 1) if latest else 1,
        summary=latest.summary if latest else "",
        assessment_organisation_id=latest.assessment_organisation_id if latest else None,
    )
    db.session.add(draft)
    if latest is not None:
        for item in latest.items:
            if item.evidence.deleted_at is None:
                draft.items.append(SubmissionItem(evidence=item.evidence, position=item.position))
    db.session.flush()
    record(
        actor,
        "submission.version_started",
        draft,
        apprenticeship_id=apprenticeship.id,
        version=draft.version,
    )
    return draft


def _clear_signoffs(actor: User, submission: Submission, reason: str) -> None:
    # A sign-off is for the showcase as it was signed; any change needs signing again.
    if submission.signoffs:
        for signoff in list(submission.signoffs):
            db.session.delete(signoff)
        submission.signoffs.clear()
        record(
            actor,
            "gateway.signoffs_cleared",
            submission,
            apprenticeship_id=submission.apprenticeship_id,
            reason=reason,
        )


def set_items(actor: User, submission: Submission, evidence_ids: list[int]) -> Submission:
    """Choose which portfolio evidence goes into the showcase, in this order."""
    _ensure_apprentice(actor, submission)
    wanted = list(dict.fromkeys(evidence_ids))
    found = (
        {
            e.id: e
            for e in db.session.scalars(
                select(Evidence).where(
                    Evidence.id.in_(wanted),
                    Evidence.apprenticeship_id == submission.apprenticeship_id,
                    Evidence.deleted_at.is_(None),
                )
            )
        }
        if wanted
        else {}
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise ValidationFailed(
            f"Evidence {', '.join(map(str, missing))} is not in this portfolio.", field="evidence"
        )
    current = {item.evidence_id: item for item in submission.items}
    if list(current) == wanted:
        return submission
    for evidence_id, item in current.items():
        if evidence_id not in found:
            submission.items.remove(item)
            db.session.delete(item)
    for position, evidence_id in enumerate(wanted):
        item = current.get(evidence_id)
        if item is None:
            item = SubmissionItem(evidence=found[evidence_id])
            submission.items.append(item)
        item.position = position
    _clear_signoffs(actor, submission, "the chosen evidence changed")
    db.session.flush()
    record(
        actor,
        "submission.items_chosen",
        submission,
        apprenticeship_id=submission.apprenticeship_id,
        evidence_ids=wanted,
    )
    return submission


def set_summary(
    actor: User, submission: Submission, *, summary: str, assessment_organisation_id: int | None
) -> Submission:
    """The presentation summary, and which assessment organisation receives the showcase."""
    _ensure_apprentice(actor, submission)
    if assessment_organisation_id is not None:
        org = db.session.get(Organisation, assessment_organisation_id)
        if org is None or org.kind is not OrganisationKind.ASSESSMENT_ORGANISATION:
            raise ValidationFailed(
                "Choose an assessment organisation.", field="assessment_organisation"
            )
    summary = (summary or "").strip()
    if (
        summary != submission.summary
        or assessment_organisation_id != submission.assessment_organisation_id
    ):
        submission.summary = summary
        submission.assessment_organisation_id = assessment_organisation_id
        _clear_signoffs(actor, submission, "the summary changed")
        record(
            actor,
            "submission.summary_saved",
            submission,
            apprenticeship_id=submission.apprenticeship_id,
        )
    db.session.flush()
    return submission


def acknowledge_gap(
    actor: User, submission: Submission, *, ref: str, note: str
) -> GapAcknowledgement:
    """The employer contact or tutor accepts, with a reason, that a showcase unit is not covered."""
    ensure_draft(submission)
    if signoff_role(actor, submission.apprenticeship) is None:
        raise Forbidden("Only the line manager or the tutor can acknowledge a gap.")
    note = (note or "").strip()
    if len(note) < 10:
        raise ValidationFailed("Say why this gap is acceptable at the gateway.", field="note")
    reference = db.session.scalar(
        select(StandardReference).where(
            StandardReference.standard_id == submission.apprenticeship.standard_id,
            StandardReference.ref == ref,
            StandardReference.kind == ReferenceKind.UNIT,
        )
    )
    if reference is None:
        raise ValidationFailed(f"{ref} is not a unit of this standard.", field="ref")
    ack = GapAcknowledgement(submission=submission, reference=reference, note=note, by_id=actor.id)
    db.session.add(ack)
    db.session.flush()
    record(
        actor,
        "gateway.gap_acknowledged",
        ack,
        apprenticeship_id=submission.apprenticeship_id,
        ref=ref,
    )
    return ack


def sign_off(actor: User, submission: Submission, *, confirm: bool) -> GatewaySignoff:
    """The line manager (employer) or tutor (training provider) signs the gateway declaration."""
    ensure_draft(submission)
    role = signoff_role(actor, submission.apprenticeship)
    if role is None:
        raise Forbidden("Only the apprentice's line manager or tutor signs off the gateway.")
    if not confirm:
        raise ValidationFailed("Tick the declaration to sign off.", field="confirm")
    if not submission.items:
        raise ValidationFailed("The apprentice has not chosen any evidence yet.", field="confirm")
    if any(s.role is role for s in submission.signoffs):
        raise ValidationFailed("You have already signed off this version.", field="confirm")
    signoff = GatewaySignoff(
        submission=submission,
        role=role,
        user_id=actor.id,
        declaration=DECLARATION.format(apprentice=submission.apprenticeship.apprentice.name),
    )
    db.session.add(signoff)
    db.session.flush()
    record(
        actor,
        "gateway.signed_off",
        signoff,
        apprenticeship_id=submission.apprenticeship_id,
        role=role.value,
        version=submission.version,
    )
    return signoff


# ---- the checklist ----------------------------------------------------------------------


@dataclass
class Check:
    label: str
    ok: bool
    detail: str = ""


@dataclass
class UnitGap:
    ref: str
    number: str
    module_title: str
    text: str
    acknowledged: str | None = None


@dataclass
class Checklist:
    checks: list[Check] = field(default_factory=list)
    gaps: list[UnitGap] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(c.ok for c in self.checks)


def _covered_refs(apprenticeship: Apprenticeship) -> set[str]:
    """Units covered now under the standard's sufficiency rules (from the coverage rollup)."""
    report = live_report(apprenticeship)
    return {u.rule.ref for u in report.units if u.covered}


def _reviews_check(apprenticeship: Apprenticeship, today: dt.date) -> Check | None:
    """Every progress review due by now is signed by all three people."""
    points = review_points(apprenticeship, list_reviews(apprenticeship), today)
    due = [p for p in points if p.due <= today]
    if not points:
        return None
    unsigned = [p for p in due if not p.signed]
    detail = (
        "all signed"
        if not unsigned
        else "not signed: "
        + ", ".join(f"{p.month}-month (due {p.due:%-d %b %Y})" for p in unsigned)
    )
    return Check("Progress reviews signed", not unsigned, detail)


def checklist(submission: Submission, *, today: dt.date | None = None) -> Checklist:
    """What the gateway needs, from the standard's data, and whether each part is met."""
    today = today or dt.date.today()
    apprenticeship = submission.apprenticeship
    doc = doc_for(apprenticeship.standard)
    result = Checklist()
    minimum = doc.plan.gateway_min_months
    months = apprenticeship.months_on_programme(today)
    if minimum is not None:
        result.checks.append(
            Check(
                f"At least {minimum} months on programme",
                months >= minimum,
                f"{months} month{'s' if months != 1 else ''} so far",
            )
        )
    result.checks.append(
        Check(
            "Evidence chosen for the showcase",
            bool(submission.items),
            f"{len(submission.items)} item{'s' if len(submission.items) != 1 else ''}",
        )
    )
    areas = set(doc.plan.showcase_areas) or {m.key for m in doc.modules()}
    covered = _covered_refs(apprenticeship)
    acknowledged = {a.reference.ref: a.note for a in submission.acknowledgements}
    for unit in doc.units():
        if unit.module_key in areas and unit.ref not in covered:
            result.gaps.append(
                UnitGap(
                    unit.ref,
                    unit.number,
                    unit.module_title,
                    unit.text.splitlines()[0],
                    acknowledged.get(unit.ref),
                )
            )
    open_gaps = [g for g in result.gaps if g.acknowledged is None]
    result.checks.append(
        Check(
            "Showcase-area criteria covered, or each gap acknowledged",
            not open_gaps,
            "all covered"
            if not result.gaps
            else f"{len(result.gaps)} not covered, {len(open_gaps)} not yet acknowledged",
        )
    )
    reviews = _reviews_check(apprenticeship, today)
    if reviews is not None:
        result.checks.append(reviews)
    signed = {s.role for s in submission.signoffs}
    for role, label in (
        (SignoffRole.EMPLOYER, "Employer sign-off"),
        (SignoffRole.TRAINING_PROVIDER, "Training provider sign-off"),
    ):
        result.checks.append(
            Check(label, role in signed, "signed" if role in signed else "waiting")
        )
    result.checks.append(
        Check("Assessment organisation chosen", submission.assessment_organisation_id is not None)
    )
    return result


# ---- locking and verifying ---------------------------------------------------------------


def canonical_json(data: object) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def lock_submission(
    actor: User, submission: Submission, *, storage: Storage, written: list[str]
) -> Submission:
    """Submit: freeze every file, write the manifest and its fingerprint, lock the records."""
    _ensure_apprentice(actor, submission)
    ready = checklist(submission)
    if not ready.ready:
        missing = "; ".join(c.label for c in ready.checks if not c.ok)
        raise ValidationFailed(f"The showcase is not ready to submit: {missing}.")
    # Hold the chosen items' rows (editors take the same lock before any change, see
    # evidence.ensure_not_locked) and re-read them with their tags: an edit committed before
    # this point is in the manifest, and one after it finds the item locked.
    db.session.scalars(
        select(Evidence)
        .where(Evidence.id.in_(sorted(i.evidence_id for i in submission.items)))
        .order_by(Evidence.id)
        .options(selectinload(Evidence.tags))
        .with_for_update(of=Evidence, key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    now = db.utcnow()
    items = []
    # Who recorded staff records, and the comments the apprentice chose to include, frozen
    # with the item (read under the items' locks, which changing a choice also takes).
    additions = frozen_additions(i.evidence for i in submission.items)
    for item in submission.items:
        evidence = item.evidence
        entry = {
            "evidence_id": evidence.id,
            "title": evidence.title,
            "kind": evidence.kind.value,
            "activity_date": evidence.activity_date.isoformat(),
            "description": evidence.description,
            "tags": [
                {
                    "ref": t.reference.ref,
                    "justification": t.justification,
                    "status": t.status.value,
                    # Only a tag with a region has the key, so a manifest without regions is
                    # the same as before they existed (and older ones verify as they are).
                    **manifest_region(t.region),
                }
                for t in evidence.tags
                if t.removed_at is None
            ],
            "file": None,
        }
        if evidence.file is not None:
            frozen_key = f"frozen/submission-{submission.id}/{evidence.file.key.replace('/', '-')}"
            stored = storage.copy_frozen(evidence.file.key, frozen_key)
            written.append(frozen_key)
            item.frozen_key = frozen_key
            item.frozen_size = stored.size
            item.frozen_sha256 = evidence.file.sha256
            entry["file"] = {
                "filename": evidence.file.display_name,
                "mime_type": evidence.file.mime_type,
                "size": evidence.file.size,
                "sha256": evidence.file.sha256,
                "storage_key": frozen_key,
            }
        entry.update(additions.get(evidence.id, {}))
        if evidence.locked_at is None:
            evidence.locked_at = now
        items.append(entry)
    apprenticeship = submission.apprenticeship
    # The audit chain's head as it stands in this transaction (holding the appenders' lock, so
    # the lock's own entry below follows exactly this head). It commits with the manifest, so
    # it is consistent by construction; the manifest's fingerprint then vouches for how far the
    # chain reached when the showcase was submitted, and a later truncation shows against it.
    audit_head = chain_head(hold=True)
    manifest = {
        "submission_id": submission.id,
        "version": submission.version,
        "apprenticeship_id": apprenticeship.id,
        "apprentice": apprenticeship.apprentice.name,
        "standard": apprenticeship.standard.key,
        "summary": submission.summary,
        "locked_at": now.isoformat(),
        "signoffs": [
            {"role": s.role.value, "user_id": s.user_id, "signed_at": s.signed_at.isoformat()}
            for s in submission.signoffs
        ],
        "items": items,
        "audit_head": audit_head.as_dict(),
    }
    submission.manifest = manifest
    submission.manifest_sha256 = hashlib.sha256(canonical_json(manifest)).hexdigest()
    submission.status = SubmissionStatus.LOCKED
    submission.locked_at = now
    submission.locked_by_id = actor.id
    db.session.flush()
    record(
        actor,
        "submission.locked",
        submission,
        apprenticeship_id=apprenticeship.id,
        version=submission.version,
        fingerprint=submission.manifest_sha256,
    )
    return submission


@dataclass
class Verification:
    fingerprint_ok: bool
    checked: int
    problems: list[tuple[int | None, str]]

    @property
    def ok(self) -> bool:
        return self.fingerprint_ok and not self.problems


def verify(submission: Submission, storage: Storage) -> Verification:
    """Re-hash the manifest and every frozen object; report any difference, item by item."""
    if not submission.is_locked or submission.manifest is None:
        raise ValidationFailed("Only a submitted (locked) showcase can be verified.")
    fingerprint_ok = (
        hashlib.sha256(canonical_json(submission.manifest)).hexdigest()
        == submission.manifest_sha256
    )
    problems: list[tuple[int | None, str]] = []
    if not fingerprint_ok:
        problems.append((None, "The manifest no longer matches its fingerprint."))
    recorded_head = submission.manifest.get("audit_head")  # absent from older manifests
    if recorded_head is not None:
        why = head_problem(ChainHead(**recorded_head))
        if why:
            problems.append(
                (
                    None,
                    "The audit trail no longer holds the entries recorded when this showcase "
                    f"was locked: {why}.",
                )
            )
    checked = 0
    for entry in submission.manifest["items"]:
        file = entry.get("file")
        if not file:
            continue
        checked += 1
        label = f"“{entry['title']}” ({file['filename']})"
        if not storage.exists(file["storage_key"]):
            problems.append((entry["evidence_id"], f"{label}: the stored file is missing."))
            continue
        digest, size = hashlib.sha256(), 0
        with storage.open(file["storage_key"]) as stream:
            while chunk := stream.read(1024 * 1024):
                digest.update(chunk)
                size += len(chunk)
        if size != file["size"] or digest.hexdigest() != file["sha256"]:
            problems.append(
                (entry["evidence_id"], f"{label}: the stored bytes differ from those submitted.")
            )
    return Verification(fingerprint_ok, checked, problems)


def find_submission(submission_id: int) -> Submission | None:
    """A submission with its items, sign-offs and acknowledgements, or None (no access check)."""
    return db.session.scalar(
        select(Submission)
        .where(Submission.id == submission_id)
        .options(
            selectinload(Submission.items).selectinload(SubmissionItem.evidence),
            selectinload(Submission.signoffs),
            selectinload(Submission.acknowledgements),
        )
    )


def get_submission(submission_id: int) -> Submission:
    """A submission by id for operators (``flask submissions verify``); pages and the API use
    ``loaders.get_submission_or_404``, which also checks who is asking."""
    submission = find_submission(submission_id)
    if submission is None:
        raise NotFound("No such submission.")
    return submission


def assessment_organisations() -> list[Organisation]:
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrganisationKind.ASSESSMENT_ORGANISATION)
            .order_by(Organisation.name)
        )
    )
