"""Staff roles and what each may do.

A supervisor may do everything an agent may (plus approve a second extension of a complaint);
an analyst reviews masked transcripts and figures and never touches complaint cases; an admin
holds every role (and creates staff accounts with `python -m scripts.staff`).
"""

from __future__ import annotations

from collections.abc import Iterable

AGENT = "agent"
SUPERVISOR = "supervisor"
ANALYST = "analyst"
ADMIN = "admin"

ROLES = (AGENT, SUPERVISOR, ANALYST, ADMIN)
ROLE_LABELS = {AGENT: "客服坐席", SUPERVISOR: "客服主管", ANALYST: "质检分析员", ADMIN: "系统管理员"}

# Roles that may read and change complaint cases.
CASE_ROLES = (AGENT, SUPERVISOR)

# A role also holds every role listed here.
_IMPLIED = {SUPERVISOR: (AGENT,), ADMIN: (SUPERVISOR, AGENT, ANALYST)}


def has_role(role: str, allowed: Iterable[str]) -> bool:
    """True when `role` is one of `allowed` or implies one of them (supervisor ⊇ agent)."""
    allowed = set(allowed)
    return role in allowed or any(implied in allowed for implied in _IMPLIED.get(role, ()))
