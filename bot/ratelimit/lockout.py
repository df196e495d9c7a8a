"""Escalating lockouts (pure rules): the case lookups' contact check and staff logins.

A scope (one case, one conversation, one client address, one username …) is locked after every
`step` failed checks within `window`: first for `base`, then twice as long at each further step,
up to `cap`. Between steps every new failure renews the lock, so once a scope is locked a guesser
gets one try per lock period, and the period keeps growing. With a small `base` and `cap` the
same rule is a progressive delay rather than a lockout. Failures age out of the window; for case
lookups they are never wiped by a success (a guesser who owns one case could otherwise reset the
count between guesses).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# The longest lock. A day keeps a determined guesser to a handful of tries a day, and still lets
# a customer who mistyped through a whole afternoon try again tomorrow.
MAX_LOCK = timedelta(hours=24)
# How long failures count. Much longer than the longest lock, so a guesser stays at the top of
# the ladder (one try a day) instead of sliding back down as the first failures age out; a
# customer who only mistyped a few times is back to short locks after a week (or logs in).
WINDOW = timedelta(days=7)
# Doubling stops long before it could overflow; `cap` decides in practice.
_MAX_DOUBLINGS = 16


@dataclass(frozen=True)
class Lockout:
    """Locked for `base` after `step` failures within `window`, doubling per further step."""

    step: int
    base: timedelta
    cap: timedelta = MAX_LOCK
    window: timedelta = WINDOW


def lock_duration(failures: int, policy: Lockout) -> timedelta:
    """How long the scope is locked after its latest failure, given how many it has."""
    if policy.step <= 0 or failures < policy.step:
        return timedelta(0)
    doublings = min(failures // policy.step - 1, _MAX_DOUBLINGS)
    return min(policy.base * (2**doublings), policy.cap)


def recent(failure_times: Iterable[datetime], policy: Lockout, now: datetime) -> list[datetime]:
    """The failures that still count at `now`."""
    return [moment for moment in failure_times if moment > now - policy.window]


def locked_until(failure_times: Iterable[datetime], policy: Lockout, now: datetime) -> datetime | None:
    """When the scope opens again, or None when it is open at `now`."""
    counted = recent(failure_times, policy, now)
    duration = lock_duration(len(counted), policy)
    if not duration:
        return None
    until = max(counted) + duration
    return until if until > now else None
