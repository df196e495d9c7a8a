"""The staff console's complaint-case page; its script talks to the staff API like any client."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.cases import classification, deadlines, lifecycle
from bot.cases.service import INTAKE_CHANNELS

from .pages import templates

router = APIRouter(include_in_schema=False)

# Words for the audit trail and intake channels; the codes are stored in English.
EVENT_LABELS = {
    "opened": "受理投诉",
    "status_changed": "变更状态",
    "answered": "答复客户",
    "extended": "延期处理",
    "assigned": "分派处理人",
    "contact_revealed": "查看完整联系方式",
    "contact_verified": "客户在线核实（查询码）",
    "reopened": "重新核查",
    "withdrawn": "撤回投诉",
    "rated": "客户评价",
}
ACTOR_LABELS = {"customer": "客户", "assistant": "智能助手", "system": "系统"}
INTAKE_LABELS = {"web": "网页", "app": "手机App", "phone": "电话", "branch": "网点", "staff": "员工录入"}
assert set(INTAKE_LABELS) == set(INTAKE_CHANNELS), "every intake channel needs a label"


def _options(labels: dict[str, str]) -> list[dict[str, str]]:
    return [{"code": code, "label": label} for code, label in labels.items()]


def console_options() -> dict[str, Any]:
    """Filter options and the rules the page's forms follow, all taken from `bot.cases`."""
    return {
        "statuses": _options(lifecycle.STATUS_LABELS),
        "open_statuses": list(lifecycle.OPEN_STATUSES),
        "channels": _options(classification.CHANNELS),
        "businesses": _options(classification.BUSINESSES),
        "reasons": _options(classification.REASONS),
        "next_statuses": {status: list(lifecycle.next_statuses(status)) for status in lifecycle.STATUSES},
        "max_extensions": deadlines.MAX_EXTENSIONS,
        "event_labels": EVENT_LABELS,
        "actor_labels": ACTOR_LABELS,
        "intake_labels": INTAKE_LABELS,
    }


@router.get("/staff", response_class=HTMLResponse)
def staff_console_page(request: Request) -> HTMLResponse:
    """The complaint-case page of the staff console (sign-in, list, detail and handling)."""
    settings = request.app.state.settings
    options = console_options()
    context = {**options, "options": options, "due_soon_days": settings.case_due_soon_days}
    return templates.TemplateResponse(request, "staff.html", context)
