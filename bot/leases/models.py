"""One row per lease: who holds it and until when."""

from __future__ import annotations

from sqlalchemy import Column, String

from bot.db import Base, UTCDateTime


class Lease(Base):
    """A named lease ("housekeeping"); a holder renews it before `expires_at` or loses it."""

    __tablename__ = "lease"

    name = Column(String(64), primary_key=True)
    holder = Column(String(120), nullable=False)
    expires_at = Column(UTCDateTime(), nullable=False)
