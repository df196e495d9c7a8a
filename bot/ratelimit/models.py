"""One row per (key, window): how many hits the key made in that window."""

from __future__ import annotations

from sqlalchemy import Column, Integer, String

from bot.db import Base, UTCDateTime


class RateLimitWindow(Base):
    """Hits of one key ("conversation:<id>", "ip:<address>:messages" …) in one fixed window."""

    __tablename__ = "rate_limit_window"

    key = Column(String(120), primary_key=True)
    window_start = Column(UTCDateTime(), primary_key=True)
    hits = Column(Integer, nullable=False)
    expires_at = Column(UTCDateTime(), nullable=False, index=True)
