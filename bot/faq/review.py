"""Answer versions: statuses, labels, who may decide, and what a topic's state is.

A kb_editor writes a version (it waits for review as soon as it is saved: 待审核); a kb_reviewer
who did not write it approves it (it serves customers from its effective time: 已发布, or 已排期
before then) or rejects it with a comment; its author may withdraw it while it waits. Nobody
approves their own draft, an admin neither (four eyes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.errors import Conflict, Forbidden, InvalidInput

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
STATUSES = (PENDING, APPROVED, REJECTED, WITHDRAWN)

# What the console shows for a version (an approved one is published, scheduled or superseded).
PUBLISHED = "published"
SCHEDULED = "scheduled"
SUPERSEDED = "superseded"
VERSION_LABELS = {
    PENDING: "待审核",
    PUBLISHED: "已发布",
    SCHEDULED: "已排期",
    SUPERSEDED: "已被替换",
    REJECTED: "已退回",
    WITHDRAWN: "已撤回",
}
TOPIC_STATES = (PUBLISHED, PENDING, SCHEDULED)

# Audit actions.
SEEDED = "seeded"
DRAFTED = "drafted"
ACTION_LABELS = {
    SEEDED: "从代码库导入",
    DRAFTED: "提交草稿",
    APPROVED: "审核通过",
    REJECTED: "退回修改",
    WITHDRAWN: "撤回草稿",
}
# The author and reviewer of the versions imported from the repository's answer files.
SYSTEM_ACTOR = "system"

MAX_COMMENT_CHARS = 500


@dataclass(frozen=True)
class ApprovedVersion:
    """What deciding a topic's current answer needs to know of an approved version."""

    id: int
    effective_at: datetime


def current_and_scheduled(
    approved: Iterable[ApprovedVersion], *, now: datetime
) -> tuple[ApprovedVersion | None, list[ApprovedVersion]]:
    """The version serving customers now (the latest effective one) and those scheduled after it."""
    ordered = sorted(approved, key=lambda v: (v.effective_at, v.id))
    live = [v for v in ordered if v.effective_at <= now]
    return (live[-1] if live else None), [v for v in ordered if v.effective_at > now]


def version_state(
    status: str, *, version_id: int, current_id: int | None, scheduled_ids: Sequence[int]
) -> str:
    """The console's state of one version: pending, published, scheduled, superseded, rejected …"""
    if status != APPROVED:
        return status
    if version_id == current_id:
        return PUBLISHED
    return SCHEDULED if version_id in scheduled_ids else SUPERSEDED


def check_can_decide(*, status: str, author: str, reviewer: str) -> None:
    """Raises unless `reviewer` may approve or reject this version now (four eyes)."""
    if status != PENDING:
        raise Conflict(
            f"version is {status}, not pending",
            customer_message="该版本已处理，无法再次审核。请刷新后查看最新状态。",
        )
    if author == reviewer:
        raise Forbidden(
            "nobody approves or rejects their own draft",
            customer_message="不能审核自己提交的版本，请由另一位审核人员处理。",
        )


def check_can_withdraw(*, status: str, author: str, actor: str) -> None:
    if author != actor:
        raise Forbidden("only its author withdraws a draft", customer_message="只能撤回自己提交的版本。")
    if status != PENDING:
        raise Conflict(f"version is {status}, not pending", customer_message="该版本已处理，无法撤回。")


def check_effective_from(effective_from: datetime | None) -> None:
    if effective_from is not None and effective_from.tzinfo is None:
        raise InvalidInput("effective_from needs a time zone", customer_message="生效时间须包含时区。")


def clean_comment(comment: str | None, *, required: bool) -> str | None:
    comment = (comment or "").strip() or None
    if required and comment is None:
        raise InvalidInput(
            "a rejection needs a comment", customer_message="退回时请填写意见，方便编辑人员修改。"
        )
    if comment and len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInput(
            f"comment longer than {MAX_COMMENT_CHARS} characters",
            customer_message=f"意见请勿超过{MAX_COMMENT_CHARS}字。",
        )
    return comment
