"""Housekeeping the API runs in the background: customers who waited too long for an agent are
told and offered a call-back, new conversation events are copied (masked) into the analysts'
transcript store, and rate-limit windows that have ended are removed.

Once per cluster: every replica runs the loop, but only the holder of the database lease
"housekeeping" (bot.leases) does the work of a round; the holder renews the lease each round, and
when it stops (crash, scale-down) another replica takes over within LEASE_SECONDS. Each change
would apply only once anyway (expiry updates only rows still waiting; the deletes are idempotent);
the lease keeps N replicas from doing the same work N times.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.cases import access as case_access
from bot.db import utcnow
from bot.leases import service as leases
from bot.ratelimit import service as ratelimit_service
from bot.staff import service as staff_service

if TYPE_CHECKING:
    from .handoff_bridge import HandoffBridge

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 300
HANDOFF_INTERVAL_SECONDS = 30
LEASE_NAME = "housekeeping"


def hold_lease(
    session_factory: sessionmaker, holder: str, ttl_seconds: float, name: str = LEASE_NAME
) -> bool:
    """Takes or renews the housekeeping lease for `ttl_seconds`; False while another holds it."""
    with session_factory.begin() as session:
        return leases.acquire(
            session,
            name=name,
            holder=holder,
            ttl=timedelta(seconds=ttl_seconds),
            now=utcnow(),
        )


def release_lease(session_factory: sessionmaker, holder: str, name: str = LEASE_NAME) -> None:
    with session_factory.begin() as session:
        leases.release(session, name=name, holder=holder)


def run_once(session_factory: sessionmaker) -> int:
    """One round of housekeeping; returns how many rows it removed."""
    now = utcnow()
    with session_factory.begin() as session:
        removed = ratelimit_service.purge_expired(session=session, now=now)
        removed += staff_service.purge_login_failures(session=session, now=now)
        return removed + case_access.purge_lookup_records(session=session, now=now)


def consume_transcripts(session_factory: sessionmaker, events_db: str) -> int:
    """Copies new events of Rasa's SQL broker and the API's notices into the transcript store."""
    from bot.transcripts import service as transcripts

    stored = transcripts.copy_rasa_broker_file(session_factory, events_db)
    return stored + transcripts.copy_transaction(session_factory, transcripts.consume_api_notices)


async def run_forever(
    session_factory: sessionmaker,
    bridge: HandoffBridge | None = None,
    events_db: str = "",
    interval: float = INTERVAL_SECONDS,
    handoff_interval: float = HANDOFF_INTERVAL_SECONDS,
    consume: bool = True,
    holder: str | None = None,
    lease: str = LEASE_NAME,
) -> None:
    """Expires overdue waiting handoffs and (with `consume`) feeds the transcript store every
    `handoff_interval` seconds, and runs `run_once`
    every `interval` seconds, until cancelled; a failed round is logged, not fatal. Rounds run
    only while this process holds the cluster's housekeeping lease."""
    holder = holder or leases.new_holder_id()
    ttl = 3 * handoff_interval
    elapsed = 0.0
    if consume:  # the transcript index's segmenter loads in about a second: now, not mid-conversation
        from bot.transcripts.search import warm_up

        await run_in_threadpool(warm_up)
    try:
        while True:
            await asyncio.sleep(handoff_interval)
            elapsed += handoff_interval
            try:
                held = await run_in_threadpool(hold_lease, session_factory, holder, ttl, lease)
            except Exception:  # the database may be briefly unreachable; try again next round
                logger.warning("housekeeping lease round failed", exc_info=True)
                continue
            if not held:
                continue
            elapsed = await _round(session_factory, bridge, events_db, consume, elapsed, interval)
    finally:
        try:
            await asyncio.shield(run_in_threadpool(release_lease, session_factory, holder, lease))
        except BaseException:  # shutting down with the database gone: the lease simply expires
            logger.info("housekeeping lease not released; it expires by itself")


async def _round(session_factory, bridge, events_db, consume, elapsed, interval) -> float:
    """One housekeeping round; returns the time elapsed since the last rate-limit purge."""
    if bridge is not None:
        try:
            expired = await bridge.expire_waiting()
            if expired:
                logger.info("housekeeping expired %d waiting handoffs", len(expired))
        except Exception:  # the database may be briefly unreachable; try again next round
            logger.exception("handoff expiry round failed")
    if consume:
        try:
            await run_in_threadpool(consume_transcripts, session_factory, events_db)
        except Exception:  # e.g. Rasa has not created its broker table yet
            logger.warning("transcript round failed", exc_info=True)
    if elapsed < interval:
        return elapsed
    try:
        removed = await run_in_threadpool(run_once, session_factory)
        if removed:
            logger.info("housekeeping removed %d ended rate-limit windows", removed)
    except Exception:  # the database may be briefly unreachable; try again next round
        logger.exception("housekeeping round failed")
    return 0.0
