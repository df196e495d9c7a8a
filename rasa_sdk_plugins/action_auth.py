"""The action server answers only Rasa: every call but `/health` must carry
`Authorization: Bearer <ACTION_SERVER_TOKEN>` (endpoints.yml sends it as an `action_endpoint`
header); anything else gets 401 without running an action. In production the action server
refuses to start without a token of at least 32 bytes (bot/security.py lists the same rule for
the API and `make run`). Without a token outside production every call is refused too, so a
forgotten setting fails loudly instead of leaving the actions open. A failing action answers
without echoing the conversation (rasa_sdk's own handler sends the request body back)."""

from __future__ import annotations

import hmac
import logging
import traceback

import pluggy
from sanic import Sanic, response
from sanic.request import Request

from bot.config import load_settings
from bot.identity.tokens import MIN_SECRET_BYTES

hookimpl = pluggy.HookimplMarker("rasa_sdk")
logger = logging.getLogger(__name__)
OPEN_PATHS = ("/health",)


def authorised(header: str | None, token: str) -> bool:
    """Does the Authorization header carry the shared token? (constant-time comparison)"""
    if not token or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].encode("utf-8"), token.encode("utf-8"))


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    settings = load_settings()
    token = settings.action_server_token
    if settings.production and len(token.encode("utf-8")) < MIN_SECRET_BYTES:
        raise SystemExit(
            f"refusing to start with APP_ENV=production: ACTION_SERVER_TOKEN must be set (>= {MIN_SECRET_BYTES} bytes)"
        )
    if not token:
        logger.error("ACTION_SERVER_TOKEN is not set: every action call will be refused")

    @app.on_request
    async def require_token(request: Request):
        if request.path in OPEN_PATHS or request.method == "OPTIONS":
            return None
        if authorised(request.headers.get("authorization"), token):
            return None
        logger.warning("refused an action call without the shared token from %s", request.ip)
        return response.json({"error": "unauthorised"}, status=401)

    @app.exception(Exception)
    async def failed_quietly(request: Request, exception: Exception):
        """Replaces rasa_sdk's handler, which logs the request and sends the whole request body
        (the tracker: every message of the conversation) back to Rasa, whose log then holds it."""
        try:
            body = request.json if request.method == "POST" else None
        except Exception:  # an unreadable body
            body = None
        action = body.get("next_action") if isinstance(body, dict) else None
        # Where it failed, not the exception's text (it may quote a slot value).
        logger.error(
            "action %s failed with %s at\n%s",
            action,
            type(exception).__name__,
            "".join(traceback.format_tb(exception.__traceback__)),
        )
        return response.json({"error": "the action failed", "action_name": action}, status=500)

    logger.info("action calls require the shared token (ACTION_SERVER_TOKEN)")
