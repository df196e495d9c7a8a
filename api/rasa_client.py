"""The API's one HTTP client for the Rasa server and the action server."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from bot.config import Settings

logger = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa did not answer, or answered with an error."""


class RasaClient:
    """Sends customer messages through Rasa's REST channel and checks both servers' health."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.rasa_timeout_seconds, connect=3.0)
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send_message(
        self, *, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Delivers one customer message and returns the assistant's replies (text and buttons).

        `metadata` (verified customer id, channel) is stored with the message in the tracker.
        """
        url = f"{self._settings.rasa_url}/webhooks/rest/webhook"
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        try:
            response = await self._http.post(url, json=body)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"Rasa at {url} is unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}: {response.text[:200]}")
        try:
            raw_replies = response.json()
        except ValueError as exc:
            raise RasaUnavailable("Rasa answered with invalid JSON") from exc
        if not isinstance(raw_replies, list):
            raise RasaUnavailable(f"Rasa answered an unexpected body: {str(raw_replies)[:200]}")
        return [normalise_reply(reply) for reply in raw_replies if isinstance(reply, dict)]

    async def rasa_status(self) -> dict[str, Any]:
        """Rasa's /status (model file and fingerprint); raises RasaUnavailable when it is down."""
        params = {"token": self._settings.rasa_token} if self._settings.rasa_token else None
        try:
            response = await self._http.get(
                f"{self._settings.rasa_url}/status", params=params, timeout=3.0
            )
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"Rasa is unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa /status answered HTTP {response.status_code}")
        return response.json()

    async def action_server_health(self) -> dict[str, Any]:
        """The action server's /health; raises RasaUnavailable when it is down."""
        try:
            response = await self._http.get(self._settings.action_health_url, timeout=3.0)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"action server is unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"action server /health answered HTTP {response.status_code}")
        return response.json()


def normalise_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """Keeps the parts of a Rasa REST reply that the chat clients render."""
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
