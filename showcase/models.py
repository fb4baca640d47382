"""Imports every domain's models so Base.metadata is complete (Alembic, tests)."""

from showcase.accounts.models import ApiToken, Invitation, Organisation, User
from showcase.assessment.models import Assessment, Judgement, MethodRecord, QADecision
from showcase.audit.models import AuditEntry
from showcase.coverage.models import CoverageRollup
from showcase.db import Base
from showcase.evidence.models import Evidence, EvidenceTag, StoredFile, TagEvent, UploadSession
from showcase.mail.models import EmailDelivery, OutboxMessage
from showcase.notifications.models import Notification, NotificationPreference
from showcase.portfolios.models import Apprenticeship
from showcase.reviews.models import ActionFollowUp, ProgressReview, ReviewAction
from showcase.standards.models import Standard, StandardReference
from showcase.submissions.models import (
    AccessGrant,
    GapAcknowledgement,
    GatewaySignoff,
    Submission,
    SubmissionItem,
)

__all__ = [
    "AccessGrant",
    "ActionFollowUp",
    "ApiToken",
    "Apprenticeship",
    "Assessment",
    "AuditEntry",
    "Base",
    "CoverageRollup",
    "EmailDelivery",
    "Evidence",
    "EvidenceTag",
    "GapAcknowledgement",
    "GatewaySignoff",
    "Invitation",
    "Judgement",
    "MethodRecord",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "OutboxMessage",
    "ProgressReview",
    "QADecision",
    "ReviewAction",
    "Standard",
    "StandardReference",
    "StoredFile",
    "Submission",
    "SubmissionItem",
    "TagEvent",
    "UploadSession",
    "User",
]
