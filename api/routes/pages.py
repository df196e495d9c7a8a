"""Server-rendered web pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.config import PROJECT_ROOT

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(PROJECT_ROOT / "api" / "templates"))


@router.get("/", response_class=HTMLResponse)
def demo_site(request: Request) -> HTMLResponse:
    """A mock bank home page with the chat widget embedded by one script tag."""
    return templates.TemplateResponse(
        request, "index.html", {"demo_mode": request.app.state.settings.demo_mode}
    )


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request) -> HTMLResponse:
    """The chat widget filling the page (the mobile app's web view, a direct link)."""
    return templates.TemplateResponse(
        request, "chat.html", {"demo_mode": request.app.state.settings.demo_mode}
    )


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The bank's icon where browsers look for it by default (our pages also link it)."""
    return FileResponse(PROJECT_ROOT / "api" / "static" / "favicon.ico", media_type="image/x-icon")
