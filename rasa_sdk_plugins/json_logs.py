"""APP_LOG_FORMAT=json for the action server: its lines (rasa_sdk's, Sanic's and ours) become one
JSON object a line, like the API's (bot/logs.py), with the conversation id of the action call
being run (Rasa's sender id, which is the API's conversation id)."""

from __future__ import annotations

import logging
import os

import pluggy
from sanic import Sanic
from sanic.request import Request

from bot.config import load_settings
from bot.logs import SERVICE_NAME, ContextFilter, JsonFormatter, conversation_id_var

hookimpl = pluggy.HookimplMarker("rasa_sdk")
# Loggers that install handlers of their own; in JSON mode they write through the root's.
OWN_HANDLERS = ("sanic.root", "sanic.error", "sanic.access", "rasa_sdk")


def use_json_logs(level: str, service: str = "actions") -> None:
    """The root logger writes JSON lines; the loggers above stop writing their own."""
    SERVICE_NAME[0] = service
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in OWN_HANDLERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    settings = load_settings()
    if settings.log_format != "json":
        return
    use_json_logs(settings.log_level, os.environ.get("SERVICE_NAME") or "actions")

    @app.on_request
    async def remember_conversation(request: Request):
        conversation_id_var.set("")
        if request.method != "POST":
            return None
        try:
            body = request.json
        except Exception:  # not JSON: rasa_sdk answers it; no id to log
            return None
        if isinstance(body, dict) and isinstance(body.get("sender_id"), str):
            conversation_id_var.set(body["sender_id"][:64])
        return None
