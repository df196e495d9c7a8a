"""Housekeeping the API runs in the background: removing rate-limit windows that have ended.

Every replica may run it; the deletes are idempotent.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.db import utcnow
from bot.ratelimit import service as ratelimit_service

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 300


def run_once(session_factory: sessionmaker) -> int:
    """One round of housekeeping; returns how many rows it removed."""
    with session_factory.begin() as session:
        return ratelimit_service.purge_expired(session=session, now=utcnow())


async def run_forever(session_factory: sessionmaker, interval: float = INTERVAL_SECONDS) -> None:
    """Runs `run_once` every `interval` seconds until cancelled; a failed round is logged, not fatal."""
    while True:
        await asyncio.sleep(interval)
        try:
            removed = await run_in_threadpool(run_once, session_factory)
            if removed:
                logger.info("housekeeping removed %d ended rate-limit windows", removed)
        except Exception:  # the database may be briefly unreachable; try again next round
            logger.exception("housekeeping round failed")
