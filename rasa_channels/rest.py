"""Rasa's REST channel, made safe to resend to and given a budget for action calls.

Registered in credentials.yml under the name "rest", so the URL stays /webhooks/rest/webhook.
Against the REST channel it adds three things:

- The API's message id (metadata["message_id"]) becomes the user event's `message_id` too, so
  the tracker says which API message each user event is.
- A message that arrives again while the first copy is still being processed (the API gave up
  waiting and the customer resent) is not processed twice: the second request waits for the
  first one's replies. Processing is shielded from the API hanging up: a turn that started is
  finished and saved, so the API's resend finds it in the tracker (api/chat_gateway.py).
- Rasa waits for the action server at most ACTION_TIMEOUT_SECONDS (credentials
  `action_timeout_seconds`) instead of its built-in 5 minutes: a frozen action server costs a
  customer seconds, and the turn ends ("actions events are lost", no reply) while the API's own
  budget (RASA_TIMEOUT_SECONDS) still runs, so the API answers 503 and keeps the message.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

DEFAULT_ACTION_TIMEOUT_SECONDS = 6.0


def limit_action_calls(seconds: float) -> None:
    """Rasa 3.6 calls the action server with a fixed 5-minute timeout (read at call time from
    rasa.core.actions.action); this sets it."""
    import rasa.core.actions.action as remote_actions

    remote_actions.DEFAULT_REQUEST_TIMEOUT = seconds


class IdempotentRestInput(RestInput):
    """The REST channel, de-duplicating by the API's message id (see the module docstring)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> IdempotentRestInput:
        credentials = credentials or {}
        seconds = float(
            os.environ.get("ACTION_TIMEOUT_SECONDS")
            or credentials.get("action_timeout_seconds")
            or DEFAULT_ACTION_TIMEOUT_SECONDS
        )
        limit_action_calls(seconds)
        logger.info("action calls limited to %.1f s", seconds)
        return cls()

    def __init__(self) -> None:
        self._in_flight: dict[tuple[str, str], asyncio.Future] = {}

    async def _process(self, on_new_message, text, sender_id, input_channel, metadata, message_id):
        collector = CollectingOutputChannel()
        await on_new_message(
            UserMessage(
                text,
                collector,
                sender_id,
                input_channel=input_channel,
                metadata=metadata,
                message_id=message_id,
            )
        )
        return collector.messages

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            input_channel = self._extract_input_channel(request)
            metadata = self.get_metadata(request)
            api_id = metadata.get("message_id") if isinstance(metadata, dict) else None
            message_id = f"api-{api_id}" if api_id is not None else None
            key = (str(sender_id), message_id) if message_id else None
            if key is not None and key in self._in_flight:
                logger.info(
                    "message %s of %s is already being processed; waiting for it", message_id, sender_id
                )
                return response.json(await asyncio.shield(self._in_flight[key]))
            task = asyncio.ensure_future(
                self._process(on_new_message, text, sender_id, input_channel, metadata, message_id)
            )
            if key is not None:
                self._in_flight[key] = task
                task.add_done_callback(lambda _done: self._in_flight.pop(key, None))
            # shielded: the API hanging up (its budget ran out) never cuts a turn in half
            return response.json(await asyncio.shield(task))

        return webhook
