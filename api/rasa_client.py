"""The API's one HTTP client for the Rasa server and the action server."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp

from bot.config import Settings
from bot.db import utcnow
from bot.identity.metadata import sign_metadata

logger = logging.getLogger(__name__)

# The quick checks (/status, /health) wait this long; a customer message waits RASA_TIMEOUT_SECONDS.
CHECK_TIMEOUT_SECONDS = 3.0
KEEPALIVE_SECONDS = 3.0


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with an error."""


@dataclass
class Answer:
    """What a server answered: its status and body, read in full."""

    status_code: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


class RasaClient:
    """Sends customer messages through Rasa's REST channel and checks both servers' health.

    aiohttp, not httpx: the client's share of the API's CPU per message was 1.8 ms with httpx
    and 0.4 ms with aiohttp on this machine kind (README "Turn cost"). The session belongs to
    the event loop it was opened in, and is opened again in another (tests run several loops)."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._http: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._http is None or self._http.closed or self._loop is not loop:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._settings.rasa_timeout_seconds, connect=3.0),
                # Idle connections are dropped before the servers drop them (Rasa's Sanic after
                # 5 s), so a message is never sent on a connection the server is closing.
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            )
            self._loop = loop
        return self._http

    async def aclose(self) -> None:
        if self._http is not None and not self._http.closed and self._loop is asyncio.get_running_loop():
            await self._http.close()
        self._http = None

    async def _request(self, method: str, url: str, *, timeout: float | None = None, **kwargs: Any) -> Answer:
        """One request, its body read in full; aiohttp's and the timeout's errors as they come."""
        if timeout is not None:
            kwargs["timeout"] = aiohttp.ClientTimeout(total=timeout)
        async with self._session().request(method, url, **kwargs) as response:
            return Answer(response.status, await response.read())

    async def send_message(
        self, *, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Delivers one customer message and returns the assistant's replies (text and buttons).

        `metadata` (verified customer id, channel) is stored with the message in the tracker,
        signed for this conversation so the actions can believe it (bot/identity/metadata.py).
        """
        body = {"sender": sender, "message": text, "metadata": self._signed(sender, metadata or {})}
        response = await self._call("POST", "/webhooks/rest/webhook", json=body)
        try:
            raw_replies = response.json()
        except ValueError as exc:
            raise RasaUnavailable("Rasa answered with invalid JSON") from exc
        if not isinstance(raw_replies, list):
            raise RasaUnavailable(f"Rasa answered an unexpected body: {str(raw_replies)[:200]}")
        return [normalise_reply(reply) for reply in raw_replies if isinstance(reply, dict)]

    def _signed(self, sender: str, metadata: dict[str, Any]) -> dict[str, Any]:
        """The metadata with its signature; unsigned (the actions then see an anonymous customer)
        when RASA_METADATA_SECRET is unset, which production refuses."""
        secret = self._settings.rasa_metadata_secret
        if not secret:
            return metadata
        return {
            **metadata,
            **sign_metadata(
                secret=secret,
                conversation_id=sender,
                customer_id=metadata.get("customer_id"),
                channel=metadata.get("channel"),
                now=utcnow(),
                lifetime=timedelta(seconds=self._settings.rasa_metadata_lifetime_seconds),
                address_key=metadata.get("address_key"),
            ),
        }

    def _token_params(self) -> dict[str, str] | None:
        return {"token": self._settings.rasa_token} if self._settings.rasa_token else None

    async def _call(self, method: str, path: str, **kwargs: Any) -> Answer:
        """One request to Rasa; RasaUnavailable unless it answers 200."""
        url = f"{self._settings.rasa_url}{path}"
        try:
            response = await self._request(method, url, **kwargs)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaUnavailable(f"Rasa at {url} is unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}: {response.text[:200]}")
        return response

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Adds events to the conversation's tracker without running a prediction: "pause",
        "resume", or an agent's reply as a "bot" event with agent metadata."""
        params = {**(self._token_params() or {}), "include_events": "NONE"}
        await self._call(
            "POST", f"/conversations/{conversation_id}/tracker/events", json=events, params=params
        )

    async def tracker(self, conversation_id: str, *, include_events: str = "NONE") -> dict[str, Any]:
        """The conversation's tracker state (slots, latest message, paused, events)."""
        params = {**(self._token_params() or {}), "include_events": include_events}
        response = await self._call("GET", f"/conversations/{conversation_id}/tracker", params=params)
        return response.json()

    async def applied_replies(self, conversation_id: str, message_id: int) -> list[dict[str, Any]] | None:
        """What Rasa answered to the API's message `message_id` (carried in the user event's
        metadata), from its tracker; None when Rasa has not applied it, or applied it without
        answering anything (the action server failed: it must be delivered again)."""
        state = await self.tracker(conversation_id, include_events="ALL")
        return replies_after_message(state.get("events") or [], message_id)

    async def resume(self, conversation_id: str) -> None:
        """Resumes a paused conversation. The messages Rasa recorded while paused were never
        answered, so the turn is closed with `action_listen`, as after any answered turn: the
        rules then match the next message as usual."""
        await self.append_events(
            conversation_id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
        )

    async def ensure_resumed(self, conversation_id: str) -> bool:
        """Resumes the conversation if it is paused; True when a resume was needed."""
        state = await self.tracker(conversation_id)
        if not state.get("paused"):
            return False
        await self.resume(conversation_id)
        return True

    async def rasa_status(self) -> dict[str, Any]:
        """Rasa's /status (model file and fingerprint); raises RasaUnavailable when it is down."""
        url = f"{self._settings.rasa_url}/status"
        try:
            response = await self._request(
                "GET", url, params=self._token_params(), timeout=CHECK_TIMEOUT_SECONDS
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaUnavailable(f"Rasa is unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa /status answered HTTP {response.status_code}")
        return response.json()

    async def action_server_health(self) -> dict[str, Any]:
        """The action server's /health; raises RasaUnavailable when it is down."""
        try:
            response = await self._request(
                "GET", self._settings.action_health_url, timeout=CHECK_TIMEOUT_SECONDS
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaUnavailable(f"action server is unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"action server /health answered HTTP {response.status_code}")
        return response.json()


def replies_after_message(events: list[dict[str, Any]], message_id: int) -> list[dict[str, Any]] | None:
    """The bot utterances that followed the user event carrying `message_id` (up to the next
    user event), as REST replies; None if there is no such user event or nothing followed it."""
    start = None
    for index, event in enumerate(events):
        metadata = event.get("metadata") if event.get("event") == "user" else None
        if isinstance(metadata, dict) and metadata.get("message_id") == message_id:
            start = index  # the last one counts: a message delivered again after lost actions
    if start is None:
        return None
    replies = []
    for event in events[start + 1 :]:
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            data = event.get("data") or {}
            replies.append(normalise_reply({**data, "text": event.get("text")}))
    return replies or None


def normalise_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """Keeps the parts of a Rasa REST reply that the chat clients render.

    An action may send a notice of a special kind (e.g. the queue position) as a custom message
    {"kind": ..., "text": ..., "buttons": [...]}; it becomes an ordinary reply with that kind."""
    custom = reply.get("custom")
    if isinstance(custom, dict) and custom.get("kind") and "text" in custom:
        return {
            **normalise_reply({"text": custom["text"], "buttons": custom.get("buttons")}),
            "kind": str(custom["kind"]),
        }
    buttons = [
        {"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
        for button in reply.get("buttons") or []
        if isinstance(button, dict)
    ]
    normalised: dict[str, Any] = {"text": reply.get("text") or "", "buttons": buttons}
    if reply.get("image"):
        normalised["image"] = reply["image"]
    if reply.get("custom"):
        normalised["custom"] = reply["custom"]
    return normalised
