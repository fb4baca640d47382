"""Granting and revoking external quality assurance access. Each takes the acting admin and
only flushes; the request commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from showcase import db
from showcase.accounts.models import Role, User
from showcase.accounts.services import EMAIL_UNAVAILABLE, normalise_email, send_invitation
from showcase.audit.services import record
from showcase.eqa.permissions import can_grant_access, can_revoke_access, is_assessment_admin
from showcase.errors import NotFound, ValidationFailed
from showcase.submissions.models import AccessGrant, Submission, SubmissionStatus

#: The longest a grant may run; a longer look is a new, deliberate grant.
MAX_DAYS = 90
NO_SUCH_SUBMISSION = "No such locked showcase among your organisation's."
NO_SUCH_GRANT = "No such access grant among your organisation's."


def grant_access(
    actor: User,
    *,
    email: str,
    name: str,
    submission_ids: list[int],
    days: int,
    invitation_ttl_hours: int,
) -> list[AccessGrant]:
    """Give ``email`` read-only access to the chosen locked versions for ``days`` days.

    The person's account is created (role external quality assurer, no organisation, no other
    rights) or reused if they already are one; someone who never set a password is emailed an
    invitation. An address that belongs to any other kind of account is refused with the words
    account creation uses, so the admin learns nothing about accounts elsewhere.
    """
    if not is_assessment_admin(actor):
        raise NotFound(NO_SUCH_SUBMISSION)
    submissions = [
        _grantable(actor, submission_id) for submission_id in dict.fromkeys(submission_ids)
    ]
    if not submissions:
        raise ValidationFailed("Choose at least one locked showcase.", field="submission")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(f"Access lasts from 1 to {MAX_DAYS} days.", field="days")
    person = _person(actor, email=email, name=name)
    now = db.utcnow()
    expires_at = now + dt.timedelta(days=days)
    grants = []
    for submission in submissions:
        grant = AccessGrant(
            user=person,
            submission=submission,
            organisation_id=actor.organisation_id,
            granted_by=actor,
            created_at=now,
            expires_at=expires_at,
        )
        db.session.add(grant)
        db.session.flush()
        record(
            actor,
            "eqa.granted",
            grant,
            apprenticeship_id=submission.apprenticeship_id,
            user_id=person.id,
            submission_id=submission.id,
            expires_at=expires_at.isoformat(),
        )
        grants.append(grant)
    if person.password_hash is None:
        # The accounts invitation (link, expiry, audit, queued email). Issued without an acting
        # admin: issue_invitation lets admins invite only their own organisation's people, and
        # an external quality assurer belongs to none; the grant above names the admin.
        send_invitation(None, person, ttl_hours=invitation_ttl_hours)
    return grants


def _grantable(actor: User, submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or not can_grant_access(actor, submission):
        raise NotFound(NO_SUCH_SUBMISSION)
    if not submission.is_locked:
        raise ValidationFailed(
            f"Version {submission.version} is a draft: only a submitted (locked) showcase can be "
            "shared for external quality assurance.",
            field="submission",
        )
    return submission


def _person(actor: User, *, email: str, name: str) -> User:
    email = normalise_email(email)
    local, _, domain = email.partition("@")
    if not local or "." not in domain or " " in email or len(email) > 254:
        raise ValidationFailed("Enter a valid email address.", field="email")
    person = db.session.scalar(select(User).where(User.email == email))
    if person is not None:
        if person.role is not Role.EXTERNAL_QUALITY_ASSURER or not person.is_active:
            raise ValidationFailed(EMAIL_UNAVAILABLE, field="email")
        return person
    if not name.strip():
        raise ValidationFailed("Enter the person's name.", field="name")
    person = User(
        email=email, name=name.strip()[:200], role=Role.EXTERNAL_QUALITY_ASSURER, organisation=None
    )
    db.session.add(person)
    db.session.flush()
    record(
        actor,
        "user.created",
        person,
        role=person.role.value,
        organisation_id=None,
        password_set=False,
    )
    return person


def revoke_access(actor: User, grant_id: int) -> AccessGrant:
    """End a grant now (idempotent: revoking a revoked or expired grant changes nothing)."""
    grant = db.session.get(AccessGrant, grant_id)
    if grant is None or not can_revoke_access(actor, grant):
        raise NotFound(NO_SUCH_GRANT)
    db.lock_for_change(grant)
    if grant.revoked_at is None:
        grant.revoked_at = db.utcnow()
        grant.revoked_by = actor
        db.session.flush()
        record(
            actor,
            "eqa.revoked",
            grant,
            apprenticeship_id=grant.submission.apprenticeship_id,
            user_id=grant.user_id,
            submission_id=grant.submission_id,
        )
    return grant


def grants_of_organisation(actor: User) -> list[AccessGrant]:
    """Every grant the actor's organisation made, newest first."""
    return list(
        db.session.scalars(
            select(AccessGrant)
            .where(AccessGrant.organisation_id == actor.organisation_id)
            .order_by(AccessGrant.created_at.desc(), AccessGrant.id.desc())
        )
    )


def grantable_submissions(actor: User) -> list[Submission]:
    """Locked versions sent to the actor's organisation, newest first."""
    return list(
        db.session.scalars(
            select(Submission)
            .where(
                Submission.assessment_organisation_id == actor.organisation_id,
                Submission.status == SubmissionStatus.LOCKED,
            )
            .order_by(Submission.id.desc())
        )
    )


def live_grants(user: User) -> list[AccessGrant]:
    """The grants ``user`` may read through now, soonest to expire first."""
    return list(
        db.session.scalars(
            select(AccessGrant)
            .where(
                AccessGrant.user_id == user.id,
                AccessGrant.revoked_at.is_(None),
                AccessGrant.expires_at > db.utcnow(),
            )
            .order_by(AccessGrant.expires_at, AccessGrant.id)
        )
    )
