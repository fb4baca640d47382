"""Imports every domain's models so Base.metadata is complete (Alembic, tests)."""

from showcase.accounts.models import ApiToken, Invitation, Organisation, User
from showcase.assessment.models import (
    Assessment,
    Judgement,
    JudgementCitation,
    MethodRecord,
    QADecision,
)
from showcase.audit.models import AuditEntry
from showcase.coverage.models import CoverageDay, CoverageRollup
from showcase.db import Base
from showcase.evidence.models import (
    Evidence,
    EvidenceComment,
    EvidenceTag,
    StoredFile,
    TagEvent,
    UploadSession,
)
from showcase.mail.models import EmailDelivery, OutboxMessage
from showcase.notifications.models import Notification, NotificationPreference
from showcase.portfolios.models import Apprenticeship
from showcase.reviews.models import ActionFollowUp, ProgressReview, ReviewAction
from showcase.standards.models import (
    Standard,
    StandardReference,
    StandardSupplement,
    SupplementCriterion,
)
from showcase.submissions.models import (
    AccessGrant,
    GapAcknowledgement,
    GatewaySignoff,
    Submission,
    SubmissionItem,
)
from showcase.suggest.models import EvidenceText
from showcase.training.models import PriorLearning, TrainingEntry, UnderDeliveryStatement
from showcase.witnesses.models import WitnessRequest, WitnessSignature

__all__ = [
    "AccessGrant",
    "ActionFollowUp",
    "ApiToken",
    "Apprenticeship",
    "Assessment",
    "AuditEntry",
    "Base",
    "CoverageDay",
    "CoverageRollup",
    "EmailDelivery",
    "Evidence",
    "EvidenceComment",
    "EvidenceTag",
    "EvidenceText",
    "GapAcknowledgement",
    "GatewaySignoff",
    "Invitation",
    "Judgement",
    "JudgementCitation",
    "MethodRecord",
    "Notification",
    "NotificationPreference",
    "Organisation",
    "OutboxMessage",
    "PriorLearning",
    "ProgressReview",
    "QADecision",
    "ReviewAction",
    "Standard",
    "StandardReference",
    "StandardSupplement",
    "StoredFile",
    "Submission",
    "SubmissionItem",
    "SupplementCriterion",
    "TagEvent",
    "TrainingEntry",
    "UnderDeliveryStatement",
    "UploadSession",
    "User",
    "WitnessRequest",
    "WitnessSignature",
]
