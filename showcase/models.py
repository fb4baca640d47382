"""Imports every domain's models so Base.metadata is complete (Alembic, tests)."""

from showcase.accounts.models import ApiToken, Invitation, Organisation, User
from showcase.db import Base
from showcase.evidence.models import Evidence, EvidenceTag, StoredFile, TagEvent
from showcase.portfolios.models import Apprenticeship
from showcase.standards.models import Standard, StandardReference

__all__ = [
    "ApiToken",
    "Apprenticeship",
    "Base",
    "Evidence",
    "EvidenceTag",
    "Invitation",
    "Organisation",
    "Standard",
    "StandardReference",
    "StoredFile",
    "TagEvent",
    "User",
]
