"""Who is told what, for each audit action worth a notification.

The audit chain already records every state change with its actor, object and apprenticeship,
so notifications follow it rather than each service calling in: ``record()`` sends the
``ENTRY_RECORDED`` signal (blinker, as Flask's own signals) with each new entry, in the change's
transaction, and ``on_entry`` turns the entries named in ``BUILDERS`` into notifications in
that same transaction. The person who acted is never told about their own action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from blinker import signal

from showcase import db
from showcase.accounts.models import User
from showcase.assessment.models import Assessment
from showcase.audit.models import AuditEntry
from showcase.notifications import ics
from showcase.notifications.models import Kind
from showcase.notifications.services import absolute, notify
from showcase.portfolios.models import Apprenticeship
from showcase.reviews.models import SIGNERS, ProgressReview, ReviewScheduleChange
from showcase.submissions.models import GatewaySignoff, SignoffRole, Submission

#: The blinker signal ``showcase.audit.services.record`` sends with each new entry.
ENTRY_RECORDED = "showcase.audit.entry-recorded"


def subscribe() -> None:
    """Follow the audit chain (idempotent: blinker connects a receiver once)."""
    signal(ENTRY_RECORDED).connect(on_entry, weak=False)


def on_entry(entry: AuditEntry, **_: object) -> None:
    builder = BUILDERS.get(entry.action)
    if builder is not None:
        builder(entry)


def _others(entry: AuditEntry, people: Iterable[User | None]) -> list[User]:
    """``people`` once each, without the actor."""
    seen: dict[int, User] = {}
    for person in people:
        if person is not None and person.id != entry.actor_id:
            seen.setdefault(person.id, person)
    return list(seen.values())


def _parties(apprenticeship: Apprenticeship) -> list[User]:
    return [apprenticeship.apprentice, apprenticeship.line_manager, apprenticeship.tutor]


def _apprenticeship(entry: AuditEntry) -> Apprenticeship | None:
    if entry.apprenticeship_id is None:
        return None
    return db.session.get(Apprenticeship, entry.apprenticeship_id)


def tag_reviewed(entry: AuditEntry) -> None:
    """Tag sent back or accepted → the apprentice."""
    apprenticeship = _apprenticeship(entry)
    if apprenticeship is None:
        return
    sent_back = entry.action == "tag.sent_back"
    ref = entry.details.get("ref", "")
    for person in _others(entry, [apprenticeship.apprentice]):
        notify(
            person,
            Kind.TAG_SENT_BACK if sent_back else Kind.TAG_ACCEPTED,
            f"Your tag {ref} was {'sent back' if sent_back else 'accepted'}",
            f"/evidence/{entry.details.get('evidence_id')}",
            apprenticeship_id=apprenticeship.id,
        )


def _signer(apprenticeship: Apprenticeship, role: str) -> User:
    return {
        "apprentice": apprenticeship.apprentice,
        "employer": apprenticeship.line_manager,
        "tutor": apprenticeship.tutor,
    }[role]


def review_invitation(review: ProgressReview) -> list[dict[str, str]]:
    """An .ics for the review's meeting, when the review has a time (``scheduled_at``).

    Reviews have no scheduled time yet (that is another issue); once ``ProgressReview`` gains
    ``scheduled_at``, the "waiting for your signature" email carries the invitation.
    """
    when = getattr(review, "scheduled_at", None)
    if when is None:
        return []
    path = f"/apprenticeships/{review.apprenticeship_id}/reviews/{review.month}"
    return [
        {
            "filename": "progress-review.ics",
            "content_type": ics.CONTENT_TYPE,
            "content": ics.event(
                uid=f"review-{review.apprenticeship_id}-{review.month}@showcase",
                summary=f"{review.month}-month progress review",
                start=when,
                end=when + dt.timedelta(minutes=review.duration_minutes or 60),
                url=absolute(path),
                location=review.location,
                sequence=review.schedule_sequence,
            ),
        }
    ]


def review_signed(entry: AuditEntry) -> None:
    """A signature: the parties who have not signed are waited for; the last one → everyone."""
    review = db.session.get(ProgressReview, entry.object_id)
    if review is None:
        return
    apprenticeship = review.apprenticeship
    path = f"/apprenticeships/{apprenticeship.id}/reviews/{review.month}"
    if review.is_frozen:
        for person in _others(entry, _parties(apprenticeship)):
            notify(
                person,
                Kind.REVIEW_SIGNED,
                f"The {review.month}-month progress review is signed by everyone",
                path,
                apprenticeship_id=apprenticeship.id,
            )
        return
    waiting = [_signer(apprenticeship, s) for s in SIGNERS if review.signed_at(s) is None]
    for person in _others(entry, waiting):
        notify(
            person,
            Kind.REVIEW_WAITING,
            f"The {review.month}-month progress review is waiting for your signature",
            path,
            apprenticeship_id=apprenticeship.id,
            attachments=review_invitation(review),
        )


def gateway_signed_off(entry: AuditEntry) -> None:
    """A gateway sign-off → the apprentice and the other signing party."""
    signoff = db.session.get(GatewaySignoff, entry.object_id)
    if signoff is None:
        return
    apprenticeship = signoff.submission.apprenticeship
    by_provider = signoff.role is SignoffRole.TRAINING_PROVIDER
    other = apprenticeship.line_manager if by_provider else apprenticeship.tutor
    for person in _others(entry, [apprenticeship.apprentice, other]):
        notify(
            person,
            Kind.GATEWAY_SIGNED_OFF,
            "The gateway was signed off by the "
            + ("training provider" if by_provider else "employer"),
            f"/submissions/{signoff.submission_id}",
            apprenticeship_id=apprenticeship.id,
        )


def showcase_locked(entry: AuditEntry) -> None:
    """The showcase locked for assessment → the three parties."""
    submission = db.session.get(Submission, entry.object_id)
    if submission is None:
        return
    for person in _others(entry, _parties(submission.apprenticeship)):
        notify(
            person,
            Kind.SHOWCASE_LOCKED,
            f"The showcase (version {submission.version}) is locked for assessment",
            f"/submissions/{submission.id}",
            apprenticeship_id=submission.apprenticeship_id,
        )


def assessor_assigned(entry: AuditEntry) -> None:
    """An assignment → the assessor."""
    assessment = db.session.get(Assessment, entry.object_id)
    if assessment is None:
        return
    for person in _others(entry, [assessment.assessor]):
        notify(
            person,
            Kind.ASSESSOR_ASSIGNED,
            "A showcase was assigned to you for assessment",
            f"/assessments/{assessment.id}",
            apprenticeship_id=entry.apprenticeship_id,
        )


def grade_released(entry: AuditEntry) -> None:
    """The grade released (quality assurance agreed, or the decision was not in the sample) →
    the three parties (the grade, each method's result and the feedback are on the page)."""
    apprenticeship = _apprenticeship(entry)
    if apprenticeship is None:
        return
    for person in _others(entry, _parties(apprenticeship)):
        notify(
            person,
            Kind.GRADE_RELEASED,
            "The end-point assessment grade is released",
            f"/apprenticeships/{apprenticeship.id}/showcase",
            apprenticeship_id=apprenticeship.id,
        )


def evidence_commented(entry: AuditEntry) -> None:
    """A comment on an evidence item → the other people in its conversation (the apprentice,
    tutor and line manager). Like every notification, it names nobody and quotes nothing."""
    apprenticeship = _apprenticeship(entry)
    if apprenticeship is None:
        return
    for person in _others(entry, _parties(apprenticeship)):
        notify(
            person,
            Kind.EVIDENCE_COMMENT,
            "A new comment on an evidence item",
            f"/evidence/{entry.details.get('evidence_id')}#comments",
            apprenticeship_id=apprenticeship.id,
        )


def review_scheduled(entry: AuditEntry) -> None:
    """A review's meeting proposed or moved → an invitation with a calendar file to each of
    the three parties, the tutor who set it included (it is their meeting too). Sent whatever
    their notification choices: an invitation is the meeting itself, not news about it. One
    email per change and person (its key), so a repeated entry sends nothing twice."""
    from showcase.mail import find_delivery, queue_email
    from showcase.reviews.services import invitation_text

    change = db.session.get(ReviewScheduleChange, entry.details.get("change_id"))
    if change is None:
        return
    review = change.review
    subject, text = invitation_text(review, change)
    path = f"/apprenticeships/{review.apprenticeship_id}/reviews/{review.month}"
    calendar = ics.event(
        uid=f"review-{review.apprenticeship_id}-{review.month}@showcase",
        summary=f"{review.month}-month progress review",
        start=change.scheduled_at,
        end=change.scheduled_at + dt.timedelta(minutes=change.duration_minutes),
        description=f"Progress review in Showcase: {absolute(path)}",
        url=absolute(path),
        location=change.location,
        sequence=change.sequence,
        stamp=change.changed_at,
    )
    for person in _parties(review.apprenticeship):
        key = f"review-invitation:{change.id}:{person.id}"
        if not person.is_active or find_delivery(key):
            continue
        queue_email(
            key,
            person.email,
            subject,
            f"{text}\n\nOpen the review: {absolute(path)}\n",
            reason="review_invitation",
            recipient_id=person.id,
            attachments=[
                {
                    "filename": "progress-review.ics",
                    "content_type": ics.CONTENT_TYPE,
                    "content": calendar,
                }
            ],
        )


BUILDERS: dict[str, Callable[[AuditEntry], None]] = {
    "tag.sent_back": tag_reviewed,
    "tag.accepted": tag_reviewed,
    "review.signed": review_signed,
    "review.scheduled": review_scheduled,
    "review.rescheduled": review_scheduled,
    "gateway.signed_off": gateway_signed_off,
    "submission.locked": showcase_locked,
    "assessment.assigned": assessor_assigned,
    "assessment.released": grade_released,
    "comment.added": evidence_commented,
}
