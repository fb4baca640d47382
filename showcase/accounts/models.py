"""Organisations, users, invitations and personal access tokens."""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from showcase.db import Base, str_enum, utcnow


class OrganisationKind(enum.StrEnum):
    EMPLOYER = "employer"
    TRAINING_PROVIDER = "training_provider"
    ASSESSMENT_ORGANISATION = "assessment_organisation"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Role(enum.StrEnum):
    APPRENTICE = "apprentice"
    EMPLOYER_CONTACT = "employer_contact"
    TUTOR = "tutor"
    ASSESSOR = "assessor"
    QUALITY_ASSURER = "quality_assurer"
    ADMIN = "admin"
    EXTERNAL_QUALITY_ASSURER = "external_quality_assurer"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.APPRENTICE: "Apprentice",
    Role.EMPLOYER_CONTACT: "Employer contact (line manager)",
    Role.TUTOR: "Tutor (training provider)",
    Role.ASSESSOR: "Independent assessor",
    Role.QUALITY_ASSURER: "Internal quality assurer",
    Role.ADMIN: "Administrator",
    Role.EXTERNAL_QUALITY_ASSURER: "External quality assurer",
}

#: The organisation kind each role belongs to (admins may belong to any kind, or none).
#: External quality assurers and inspectors belong to none: they are outside people, invited by
#: any assessment organisation's admin (showcase.eqa), who read only what a live grant shows.
ROLE_ORGANISATION_KINDS: dict[Role, tuple[OrganisationKind, ...]] = {
    Role.APPRENTICE: (OrganisationKind.EMPLOYER,),
    Role.EMPLOYER_CONTACT: (OrganisationKind.EMPLOYER,),
    Role.TUTOR: (OrganisationKind.TRAINING_PROVIDER,),
    Role.ASSESSOR: (OrganisationKind.ASSESSMENT_ORGANISATION,),
    Role.QUALITY_ASSURER: (OrganisationKind.ASSESSMENT_ORGANISATION,),
    Role.ADMIN: tuple(OrganisationKind),
    Role.EXTERNAL_QUALITY_ASSURER: (),
}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    #: None only for platform administrators, who manage every organisation.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: None until the person sets a password through their invitation.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    #: Part of the Flask-Login id; rotating it ends every session and remember-me cookie.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Set when an administrator forces a password reset: the old password no longer signs in
    #: until the person sets a new one through the emailed link.
    must_reset_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None]

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.ADMIN and self.organisation_id is None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class InvitationPurpose(enum.StrEnum):
    #: A new person sets their first password.
    INVITATION = "invitation"
    #: A person who had a password chooses a new one (asked for, or forced by an admin).
    PASSWORD_RESET = "password_reset"  # noqa: S105 — a purpose, not a password


class Invitation(Base):
    """A one-time emailed link that lets a person set their own password.

    At most one is open per person: issuing one cancels the earlier open ones, and using one
    cancels the rest, so an old link in someone's mailbox cannot replace a newer password.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[InvitationPurpose] = mapped_column(
        str_enum(InvitationPurpose), default=InvitationPurpose.INVITATION
    )
    #: SHA-256 of the token; the token itself is only ever in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    #: Set when a newer link was issued or another link was used first.
    cancelled_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A personal access token for API clients, hashed at rest."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: First characters of the token, shown so people can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The token stops working then (API_TOKEN_TTL_DAYS after creation).
    expires_at: Mapped[dt.datetime]
    #: Updated at most once a minute (TOKEN_LAST_USED_PRECISION), not on every request.
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


def period_text(started_at: dt.datetime, ended_at: dt.datetime | None) -> str:
    """``from 2025-09-01 to 2026-11-30``, or ``since 2025-09-01`` while it lasts."""
    if ended_at is None:
        return f"since {started_at.date().isoformat()}"
    return f"from {started_at.date().isoformat()} to {ended_at.date().isoformat()}"


class OrganisationMembership(Base):
    """Which organisation a person belonged to, from when to when (``User.organisation_id`` is
    the current one). Independence checks read it: someone who worked for the apprentice's
    employer during the apprenticeship is not independent after moving elsewhere."""

    __tablename__ = "organisation_memberships"
    __table_args__ = (
        # At most one current membership per person.
        Index(
            "uq_organisation_memberships_current",
            "user_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: The person's role while a member (a tutor who joins an assessment organisation becomes
    #: an assessor there).
    role: Mapped[Role] = mapped_column(str_enum(Role))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: None while the person is still a member.
    ended_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()

    @property
    def period(self) -> str:
        return period_text(self.started_at, self.ended_at)
