"""What every flow's actions share: the database, and who the customer is."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from rasa_sdk import Tracker
from sqlalchemy.orm import Session, sessionmaker

from bot.config import load_settings
from bot.db import build_engine, build_session_factory

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


def _metadata(tracker: Tracker) -> dict[str, Any]:
    metadata = (tracker.latest_message or {}).get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def customer_id(tracker: Tracker) -> str | None:
    """The verified customer id the API attaches to every message; None for anonymous chats."""
    value = _metadata(tracker).get("customer_id")
    return value if isinstance(value, str) and value else None


def address_key(tracker: Tracker) -> str | None:
    """The keyed digest of the client's address the API attaches (never the address itself)."""
    value = _metadata(tracker).get("address_key")
    return value if isinstance(value, str) and value else None


def channel(tracker: Tracker) -> str:
    value = _metadata(tracker).get("channel")
    return value if isinstance(value, str) and value else DEFAULT_CHANNEL


def intent_name(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""
