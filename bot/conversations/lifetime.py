"""How long a conversation token stays usable (pure rules).

A token ends after `idle` without a message in the conversation (the customer's, the
assistant's, an agent's or a notice) and `maximum` after the conversation was opened, whatever
happens in it. A shared computer or app left alone then shows nothing of the conversation to the
next person, and a copied token stops working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

IDLE = "idle"
MAXIMUM = "maximum"


@dataclass(frozen=True)
class Lifetime:
    idle: timedelta = timedelta(minutes=30)
    maximum: timedelta = timedelta(hours=12)

    @classmethod
    def from_settings(cls, settings) -> Lifetime:
        return cls(
            idle=timedelta(minutes=settings.conversation_idle_minutes),
            maximum=timedelta(hours=settings.conversation_max_hours),
        )

    def expired(self, *, created_at: datetime, last_activity_at: datetime, now: datetime) -> str | None:
        """Why the token has ended ("maximum" or "idle"), or None while it is usable."""
        if now >= created_at + self.maximum:
            return MAXIMUM
        if now >= max(last_activity_at, created_at) + self.idle:
            return IDLE
        return None

    def expires_at(self, *, created_at: datetime, last_activity_at: datetime) -> datetime:
        """When the token ends if nothing else happens in the conversation."""
        return min(created_at + self.maximum, max(last_activity_at, created_at) + self.idle)
