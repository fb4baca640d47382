"""Organisations, users, invitations and personal access tokens."""

from __future__ import annotations

import datetime as dt
import enum
import secrets

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
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
}

#: The organisation kind each role belongs to (admins may belong to any kind, or none).
ROLE_ORGANISATION_KINDS: dict[Role, tuple[OrganisationKind, ...]] = {
    Role.APPRENTICE: (OrganisationKind.EMPLOYER,),
    Role.EMPLOYER_CONTACT: (OrganisationKind.EMPLOYER,),
    Role.TUTOR: (OrganisationKind.TRAINING_PROVIDER,),
    Role.ASSESSOR: (OrganisationKind.ASSESSMENT_ORGANISATION,),
    Role.QUALITY_ASSURER: (OrganisationKind.ASSESSMENT_ORGANISATION,),
    Role.ADMIN: tuple(OrganisationKind),
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


class Invitation(Base):
    """A one-time link that lets a person set their own password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token; the token itself is only ever in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

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
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()
