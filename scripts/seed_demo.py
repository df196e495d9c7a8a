"""Demo staff accounts for a local run: agent1, supervisor1 and analyst1.

Only for local demos. Production sets DEMO_SEED=false (nothing is seeded) and creates real accounts
with `python -m scripts.staff create ...`. The demo password comes from DEMO_STAFF_PASSWORD.
"""

from __future__ import annotations

import os

from bot.db import build_engine, build_session_factory, utcnow
from bot.staff import service as staff_service

DEFAULT_DEMO_PASSWORD = "demo-password-2026"
DEMO_STAFF = (
    ("agent1", "agent", "演示坐席"),
    ("supervisor1", "supervisor", "演示主管"),
    ("analyst1", "analyst", "演示分析员"),
)


def demo_seed_enabled() -> bool:
    """False when DEMO_SEED is "false" (or 0/no/off)."""
    return os.environ.get("DEMO_SEED", "").strip().lower() not in {"false", "0", "no", "off"}


def seed_demo_staff(database_url: str) -> list[str]:
    """Creates the missing demo accounts (idempotent); returns the usernames it created."""
    if not demo_seed_enabled():
        return []
    password = os.environ.get("DEMO_STAFF_PASSWORD", "").strip() or DEFAULT_DEMO_PASSWORD
    engine = build_engine(database_url)
    created = []
    try:
        with build_session_factory(engine).begin() as session:
            for username, role, display_name in DEMO_STAFF:
                if staff_service.get_staff_by_username(session=session, username=username):
                    continue
                staff_service.create_staff(
                    session=session, username=username, display_name=display_name,
                    role=role, password=password, now=utcnow(),
                )  # fmt: skip
                created.append(username)
    finally:
        engine.dispose()
    return created
