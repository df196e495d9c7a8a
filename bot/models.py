"""Imports every domain's tables so that Alembic and tests see the whole schema."""

from bot.archive.models import ServiceRecord
from bot.cases.models import (
    ComplaintCase,
    ComplaintCaseAccess,
    ComplaintCaseCheckFailure,
    ComplaintCaseCounter,
    ComplaintCaseEvent,
)
from bot.conversations.models import ActionEffect, Conversation, ConversationMessage
from bot.faq.models import FaqAnswerEvent, FaqAnswerRevision, FaqAnswerVersion
from bot.handoff.models import AgentPresence, CallbackRequest, Handoff, HandoffEvent
from bot.leases.models import Lease
from bot.ratelimit.models import RateLimitWindow
from bot.staff.models import StaffAccount, StaffLoginFailure, StaffSession
from bot.suitability.models import Assessment, AssessmentAnswer
from bot.transcripts.models import (
    TranscriptAnnotation,
    TranscriptConversation,
    TranscriptConversationEntity,
    TranscriptConversationIntent,
    TranscriptCursor,
    TranscriptDialogueState,
    TranscriptEvent,
    TranscriptMessage,
    TranscriptTag,
    TranscriptTerm,
)

__all__ = [
    "AgentPresence",
    "Assessment",
    "AssessmentAnswer",
    "CallbackRequest",
    "ComplaintCase",
    "ComplaintCaseAccess",
    "ComplaintCaseCheckFailure",
    "ComplaintCaseCounter",
    "ComplaintCaseEvent",
    "Conversation",
    "ConversationMessage",
    "ActionEffect",
    "FaqAnswerEvent",
    "FaqAnswerRevision",
    "FaqAnswerVersion",
    "Handoff",
    "HandoffEvent",
    "Lease",
    "RateLimitWindow",
    "StaffAccount",
    "StaffLoginFailure",
    "StaffSession",
    "ServiceRecord",
    "TranscriptAnnotation",
    "TranscriptConversation",
    "TranscriptConversationEntity",
    "TranscriptConversationIntent",
    "TranscriptCursor",
    "TranscriptDialogueState",
    "TranscriptEvent",
    "TranscriptMessage",
    "TranscriptTag",
    "TranscriptTerm",
]
