"""The agent console page (/agent); its script talks to the agent API like any client."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .pages import templates

router = APIRouter(include_in_schema=False)


@router.get("/agent", response_class=HTMLResponse)
def agent_console_page(request: Request) -> HTMLResponse:
    """Sign-in, presence, the queue, live chat with the customer, and the context pane."""
    return templates.TemplateResponse(request, "agent.html", {})
