"""The demo staff accounts `make run` seeds in demo mode (agent1, supervisor1, analyst1, and the
knowledge base's kbeditor1 and kbreviewer1).

Their password is public (README), so they must never be usable outside demo mode: a run with
DEMO_MODE off disables them (also those an earlier demo run created), and production refuses to
start while any of them is active (bot/security.py).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import StaffAccount

# (username, role, display name); the display name tells a demo account from a real one that
# happens to share its username.
DEMO_STAFF = (
    ("agent1", "agent", "演示坐席"),
    ("supervisor1", "supervisor", "演示主管"),
    ("analyst1", "analyst", "演示分析员"),
    ("kbeditor1", "kb_editor", "演示知识库编辑"),
    ("kbreviewer1", "kb_reviewer", "演示知识库审核员"),
)


def demo_accounts(*, session: Session) -> list[StaffAccount]:
    """The demo staff accounts present in the database, active or not."""
    wanted = {(username, display_name) for username, _role, display_name in DEMO_STAFF}
    statement = select(StaffAccount).where(
        StaffAccount.username.in_([username for username, _display in wanted])
    )
    return [staff for staff in session.scalars(statement) if (staff.username, staff.display_name) in wanted]


def active_demo_usernames(*, session: Session) -> list[str]:
    """Usernames of the demo staff accounts that can still sign in."""
    return sorted(staff.username for staff in demo_accounts(session=session) if staff.active)


def disable_demo_accounts(*, session: Session) -> list[str]:
    """Disables every active demo account (their open logins are refused from now on, because
    resolving a login checks the account); returns the usernames it disabled."""
    disabled = []
    for staff in demo_accounts(session=session):
        if staff.active:
            staff.active = False
            disabled.append(staff.username)
    session.flush()
    return sorted(disabled)
