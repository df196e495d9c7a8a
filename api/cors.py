"""CORS for the public chat API only: the widget may run on the bank's other sites, while the
staff and analyst APIs answer their own origin alone."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_PREFIXES = ("/api/chat/", "/api/demo/")


class ChatCors:
    def __init__(self, app: ASGIApp, origins: tuple[str, ...]):
        self._app = app
        self._cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PUBLIC_PREFIXES):
            await self._cors(scope, receive, send)
        else:
            await self._app(scope, receive, send)
