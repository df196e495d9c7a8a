"""The knowledge-base console page (/kb); its script talks to the knowledge-base API like any client.

The page itself is public (it holds no data); every answer, version and audit row comes from
/api/kb/..., which admits kb_editor and kb_reviewer (an admin holds both).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.faq import checks, review
from bot.faq.catalog import load_catalog
from bot.staff import roles

from .pages import templates

router = APIRouter(include_in_schema=False)


def _holding(role: str) -> list[str]:
    return [code for code in roles.ROLES if roles.has_role(code, (role,))]


def console_options() -> dict[str, Any]:
    """What the page needs besides the API: labels, who may do what, the topics to link."""
    catalog = load_catalog()
    return {
        "groups": catalog.groups,
        "state_labels": review.VERSION_LABELS,
        "topic_states": {state: review.VERSION_LABELS[state] for state in review.TOPIC_STATES},
        "editor_roles": _holding(roles.KB_EDITOR),
        "reviewer_roles": _holding(roles.KB_REVIEWER),
        "topics": [{"id": t.id, "title": t.title, "group": t.group} for t in catalog.topics.values()],
        "max_answer_chars": checks.MAX_ANSWER_CHARS,
    }


@router.get("/kb", response_class=HTMLResponse)
def kb_console_page(request: Request) -> HTMLResponse:
    """Sign-in, topics with their state, one topic's answer: edit with a live preview, review,
    history with a side-by-side comparison, and the audit trail; suggested new topics."""
    options = console_options()
    return templates.TemplateResponse(request, "kb.html", {**options, "options": options})
