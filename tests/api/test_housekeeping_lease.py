"""Housekeeping runs once per cluster: the replica holding the database lease does the rounds,
the others wait, and when the holder stops another takes over."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

from api import maintenance
from bot.db import build_session_factory
from bot.leases import service as leases
from bot.leases.models import Lease
from bot.ratelimit import service as ratelimit_service
from bot.ratelimit.models import RateLimitWindow
from bot.ratelimit.service import Limit
from tests.conftest import run_async

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_one_holder_at_a_time_renewal_expiry_and_release(session):
    name, ttl = f"lease-{uuid.uuid4().hex[:8]}", timedelta(seconds=30)
    assert leases.acquire(session, name=name, holder="a", ttl=ttl, now=NOW)
    assert not leases.acquire(session, name=name, holder="b", ttl=ttl, now=NOW + timedelta(seconds=5))
    assert leases.acquire(session, name=name, holder="a", ttl=ttl, now=NOW + timedelta(seconds=20))
    # a renewed lease is not taken over at the first expiry
    assert not leases.acquire(session, name=name, holder="b", ttl=ttl, now=NOW + timedelta(seconds=35))
    # the holder stopped renewing: b takes over once it has expired
    assert leases.acquire(session, name=name, holder="b", ttl=ttl, now=NOW + timedelta(seconds=51))
    assert session.get(Lease, name).holder == "b"
    leases.release(session, name=name, holder="a")  # not a's any more: nothing happens
    assert not leases.acquire(session, name=name, holder="a", ttl=ttl, now=NOW + timedelta(seconds=52))
    leases.release(session, name=name, holder="b")
    assert leases.acquire(session, name=name, holder="a", ttl=ttl, now=NOW + timedelta(seconds=53))


def _holder(factory, name: str) -> str | None:
    with factory() as session:
        lease = session.get(Lease, name)
        return lease.holder if lease and lease.expires_at > datetime.now(UTC) else None


def _wait(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_two_replicas_one_does_the_work_and_the_other_takes_over(engine):
    factory = build_session_factory(engine)
    name = f"housekeeping-{uuid.uuid4().hex[:8]}"
    ended = f"ended-{uuid.uuid4().hex}"

    async def scenario():
        loops = {
            holder: asyncio.create_task(
                maintenance.run_forever(
                    factory,
                    consume=False,
                    interval=0.0,
                    handoff_interval=0.1,
                    holder=holder,
                    lease=name,
                )
            )
            for holder in ("replica-1", "replica-2")
        }
        try:
            first = await asyncio.to_thread(_wait, lambda: _holder(factory, name))
            seen = set()
            for _ in range(10):  # the holder keeps it while it runs
                seen.add(await asyncio.to_thread(_holder, factory, name))
                await asyncio.sleep(0.05)
            assert seen == {first}
            # the holder does the work: an ended rate-limit window is purged
            with factory.begin() as session:
                ratelimit_service.hit(
                    session=session,
                    key=ended,
                    limit=Limit(5, timedelta(minutes=1)),
                    now=datetime.now(UTC) - timedelta(minutes=10),
                )

            def purged():
                with factory() as session:
                    return not session.query(RateLimitWindow).filter_by(key=ended).count()

            await asyncio.to_thread(_wait, purged)
            loops[first].cancel()  # the holder stops (scale-down, rolling update)
            await asyncio.wait([loops[first]])
            other = next(h for h in loops if h != first)
            assert await asyncio.to_thread(_wait, lambda: _holder(factory, name) == other)
        finally:
            for loop in loops.values():
                loop.cancel()
            await asyncio.wait(list(loops.values()))

    run_async(scenario())
