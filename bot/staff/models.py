"""Staff accounts, their login sessions and failed login attempts."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from bot.db import Base, UTCDateTime, utcnow


class StaffAccount(Base):
    """A member of staff who signs in to the agent or analyst console."""

    __tablename__ = "staff_account"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(String(64), nullable=False)
    # "agent", "supervisor", "analyst" or "admin" (bot.staff.roles).
    role = Column(String(16), nullable=False)
    password_hash = Column(String(255), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class StaffSession(Base):
    """A login: the bearer token itself is never stored, only its SHA-256."""

    __tablename__ = "staff_session"

    id = Column(Integer, primary_key=True, autoincrement=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    staff_id = Column(Integer, ForeignKey("staff_account.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime(), nullable=False)
    revoked_at = Column(UTCDateTime(), nullable=True)

    staff = relationship("StaffAccount", lazy="joined")


class StaffLoginFailure(Base):
    """One failed login for a username (known or not) from a client address. Recent ones lock
    that username from that address, lock an address spraying many usernames, and slow down
    every login for the username and overall (bot.staff.service.login_policy).

    Kept in the database, not in memory, because several API replicas share the limit.
    """

    __tablename__ = "staff_login_failure"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(64), nullable=False, index=True)
    # The client's address as the API saw it (after trusted proxies); None when unknown.
    address = Column(String(64), nullable=True, index=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow, index=True)
