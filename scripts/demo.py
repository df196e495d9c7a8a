"""Demo data for local runs (DEMO_MODE=true, the default), added by `make run`:

- demo customers' risk assessments (bot/identity/demo_customers.yml), so every suitability case
  can be tried from the chat page's demo-customer picker;
- demo staff accounts agent1, supervisor1, analyst1, kbeditor1 and kbreviewer1 for the staff
  consoles, with the password from DEMO_STAFF_PASSWORD.

Idempotent: it adds only what is missing. Production sets DEMO_MODE=false (nothing is seeded) and
creates real staff accounts with `python -m scripts.staff create ...`.
"""

from __future__ import annotations

import os

from bot.db import build_engine, build_session_factory, utcnow
from bot.identity.demo import seed_demo_assessments
from bot.staff import service as staff_service
from bot.staff.demo import DEMO_STAFF

DEFAULT_DEMO_PASSWORD = "demo-password-2026"


def demo_staff_password() -> str:
    return os.environ.get("DEMO_STAFF_PASSWORD", "").strip() or DEFAULT_DEMO_PASSWORD


def seed_demo(database_url: str) -> dict[str, object]:
    """Adds the missing demo data; returns what it added."""
    engine = build_engine(database_url)
    created: list[str] = []
    try:
        with build_session_factory(engine).begin() as session:
            assessments = seed_demo_assessments(session=session, now=utcnow())
            for username, role, display_name in DEMO_STAFF:
                existing = staff_service.get_staff_by_username(session=session, username=username)
                if existing is not None:
                    if not existing.active and existing.display_name == display_name:
                        existing.active = True  # disabled by a run without demo mode
                        created.append(username)
                    continue
                staff_service.create_staff(
                    session=session,
                    username=username,
                    display_name=display_name,
                    role=role,
                    password=demo_staff_password(),
                    now=utcnow(),
                )
                created.append(username)
    finally:
        engine.dispose()
    if assessments or created:
        print(
            f"Demo data (DEMO_MODE=false turns it off): {assessments} demo customers' assessments, "
            f"staff accounts {', '.join(created) or 'none'} added or enabled."
        )
    return {"assessments": assessments, "staff": created}
