"""APP_LOG_FORMAT=json for the action server: its lines (rasa_sdk's, Sanic's and ours) become one
JSON object a line, like the API's (bot/logs.py), with the conversation id of the action call
being run (Rasa's sender id, which is the API's conversation id).

The plugin hook below runs once the actions are registered; `python -m rasa_sdk_plugins.json_logs
--actions actions ...` (the action server image's command) is `python -m rasa_sdk ...` with JSON
from the first line on: the libraries' import warnings and rasa_sdk's list of registered actions
included."""

from __future__ import annotations

import os
import sys

import pluggy
from sanic import Sanic
from sanic.request import Request

from bot.config import load_settings
from bot.logs import conversation_id_var, use_json_logs

hookimpl = pluggy.HookimplMarker("rasa_sdk")
# Loggers that install handlers of their own; in JSON mode they write through the root's.
OWN_HANDLERS = ("sanic.root", "sanic.error", "sanic.access", "rasa_sdk")


def json_logs(level: str | int | None) -> None:
    """The root logger writes JSON lines; the loggers above stop writing their own."""
    use_json_logs(
        service=os.environ.get("SERVICE_NAME") or "actions",
        level=level or os.environ.get("LOG_LEVEL", "INFO"),
        through_root=OWN_HANDLERS,
    )


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    settings = load_settings()
    if settings.log_format != "json":
        return
    json_logs(settings.log_level)

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


def main() -> None:
    """`python -m rasa_sdk` with JSON lines from the start when APP_LOG_FORMAT=json."""
    settings = load_settings()
    if settings.log_format == "json":
        json_logs(settings.log_level)
        import rasa_sdk.utils

        # rasa_sdk would put coloured text handlers in place before registering the actions.
        rasa_sdk.utils.configure_colored_logging = json_logs
    from rasa_sdk.__main__ import main as rasa_sdk_main

    sys.argv[0] = "rasa_sdk"
    rasa_sdk_main()


if __name__ == "__main__":
    main()
