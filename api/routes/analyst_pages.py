"""The analyst console page (/analyst); its script talks to the analyst API like any client.

The page itself is public (it holds no data); every figure and transcript comes from
/api/analyst/..., which admits the analyst role only (an admin holds every role).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.cases import classification, lifecycle
from bot.entities.facts import TYPE_LABELS as ENTITY_LABELS
from bot.staff import roles

from .pages import templates

router = APIRouter(include_in_schema=False)

CHANNEL_LABELS = {"web": "网页", "app": "手机App"}
SENDER_LABELS = {"customer": "客户", "assistant": "智能助手", "agent": "人工客服", "system": "系统"}
SORT_LABELS = {
    "-started_at": "最新在前",
    "started_at": "最早在前",
    "min_confidence": "置信度最低在前",
    "-message_count": "消息最多在前",
}
DEADLINE_LABELS = {"on_time": "期限内", "due_soon": "即将到期", "overdue": "已逾期", "closed": "已办结"}


def console_options() -> dict[str, Any]:
    """Labels the page shows; codes stay in English in the API."""
    return {
        "channels": CHANNEL_LABELS,
        "senders": SENDER_LABELS,
        "sorts": SORT_LABELS,
        "analyst_roles": [role for role in roles.ROLES if roles.has_role(role, (roles.ANALYST,))],
        "case_channels": classification.CHANNELS,
        "case_businesses": classification.BUSINESSES,
        "case_reasons": classification.REASONS,
        "case_statuses": lifecycle.STATUS_LABELS,
        "deadline_labels": DEADLINE_LABELS,
        "entity_types": ENTITY_LABELS,
    }


@router.get("/analyst", response_class=HTMLResponse)
def analyst_console_page(request: Request) -> HTMLResponse:
    """Sign-in, conversation filters and list, one transcript with tags and annotations,
    exports, and the quality dashboard."""
    options = console_options()
    return templates.TemplateResponse(request, "analyst.html", {**options, "options": options})
