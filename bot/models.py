"""Imports every domain's tables so that Alembic and tests see the whole schema."""

from bot.conversations.models import Conversation, ConversationMessage

__all__ = ["Conversation", "ConversationMessage"]
