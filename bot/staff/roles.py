"""Staff roles and what each may do.

A supervisor may do everything an agent may (plus approve a second extension of a complaint);
an analyst reviews masked transcripts and figures and never touches complaint cases; a
kb_editor writes new wordings of the knowledge base's answers and a kb_reviewer (usually
compliance) approves or rejects them; an admin holds every role (and creates staff accounts with
`python -m scripts.staff`), but even an admin never approves a draft of their own (bot/faq/review.py).
"""

from __future__ import annotations

from collections.abc import Iterable

AGENT = "agent"
SUPERVISOR = "supervisor"
ANALYST = "analyst"
ADMIN = "admin"
KB_EDITOR = "kb_editor"
KB_REVIEWER = "kb_reviewer"

ROLES = (AGENT, SUPERVISOR, ANALYST, ADMIN, KB_EDITOR, KB_REVIEWER)
ROLE_LABELS = {
    AGENT: "客服坐席",
    SUPERVISOR: "客服主管",
    ANALYST: "质检分析员",
    ADMIN: "系统管理员",
    KB_EDITOR: "知识库编辑",
    KB_REVIEWER: "知识库审核员",
}

# Roles that may read and change complaint cases.
CASE_ROLES = (AGENT, SUPERVISOR)
# Roles that may open the knowledge-base console (read answers, history and the audit trail).
KB_ROLES = (KB_EDITOR, KB_REVIEWER)

# A role also holds every role listed here.
_IMPLIED = {SUPERVISOR: (AGENT,), ADMIN: (SUPERVISOR, AGENT, ANALYST, KB_EDITOR, KB_REVIEWER)}


def has_role(role: str, allowed: Iterable[str]) -> bool:
    """True when `role` is one of `allowed` or implies one of them (supervisor ⊇ agent)."""
    allowed = set(allowed)
    return role in allowed or any(implied in allowed for implied in _IMPLIED.get(role, ()))
