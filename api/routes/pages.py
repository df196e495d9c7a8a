"""Server-rendered web pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.config import PROJECT_ROOT

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(PROJECT_ROOT / "api" / "templates"))


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request) -> HTMLResponse:
    """The customer chat page; it talks to the public chat API like the mobile app does."""
    settings = request.app.state.settings
    context = {"max_chars": settings.max_message_chars, "demo_mode": settings.demo_mode}
    return templates.TemplateResponse(request, "chat.html", context)
