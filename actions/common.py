"""What every flow's actions share: the database, and who the customer is."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import TypeVar

from rasa_sdk import Tracker
from sqlalchemy.orm import Session, sessionmaker

from bot.config import load_settings
from bot.conversations.effects import EffectKey
from bot.db import build_engine, build_session_factory, utcnow
from bot.identity.metadata import VerifiedMetadata, verify_metadata

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_CHANNEL = "web"


@lru_cache(maxsize=1)
def _session_factory() -> sessionmaker:
    """Built on first use in the action server process, never at import time."""
    return build_session_factory(build_engine(load_settings().database_url))


def _run_in_transaction(work: Callable[[Session], T]) -> T:
    with _session_factory().begin() as session:
        return work(session)


async def in_transaction(work: Callable[[Session], T]) -> T:
    """Runs `work(session)` in one transaction on a worker thread (commit on success)."""
    return await asyncio.to_thread(_run_in_transaction, work)


def _verified(tracker: Tracker) -> VerifiedMetadata | None:
    """The customer id and channel the API signed for this conversation's latest message; None
    when the metadata is unsigned, forged, for another conversation or expired (logged)."""
    metadata = (tracker.latest_message or {}).get("metadata")
    if not metadata:
        return None
    settings = load_settings()
    verified = verify_metadata(
        metadata,
        secret=settings.rasa_metadata_secret,
        conversation_id=tracker.sender_id,
        now=utcnow(),
        max_lifetime=timedelta(seconds=settings.rasa_metadata_lifetime_seconds),
    )
    if verified is None:
        logger.warning(
            "message metadata of conversation %s is not signed by the API: treated as anonymous",
            tracker.sender_id,
        )
    return verified


def customer_id(tracker: Tracker) -> str | None:
    """The verified customer id the API signs into every message; None for anonymous chats."""
    verified = _verified(tracker)
    return verified.customer_id if verified else None


def address_key(tracker: Tracker) -> str | None:
    """The keyed digest of the client's address the API signs in (never the address itself)."""
    verified = _verified(tracker)
    return verified.address_key if verified else None


def channel(tracker: Tracker) -> str:
    verified = _verified(tracker)
    return verified.channel if verified and verified.channel else DEFAULT_CHANNEL


def intent_name(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def effect_key(tracker: Tracker, action: str) -> EffectKey | None:
    """Names this action's run for the message being handled, so that the same message delivered
    again (the API resends it after a failure) finds what the first run did. Only messages that
    came through the API carry its message id; others (story tests, the Rasa shell) get None."""
    metadata = (tracker.latest_message or {}).get("metadata")
    message_id = metadata.get("message_id") if isinstance(metadata, dict) else None
    if message_id is None or isinstance(message_id, bool) or str(message_id) == "":
        return None
    return EffectKey(conversation_id=tracker.sender_id, message_id=str(message_id)[:64], action=action)
