"""Health of the three processes the product needs: Rasa, the action server and the database.

The answer is public, so it says only which component is up or down; what went wrong (an
exception's text, the model file) is logged for operators, never shown.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.db import ping

from ..rasa_client import RasaClient, RasaUnavailable
from ..schemas import Health

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)

OK = {"status": "ok"}
DOWN = {"status": "down"}


async def _check_rasa(rasa: RasaClient) -> dict[str, str]:
    try:
        status = await rasa.rasa_status()
    except RasaUnavailable as exc:
        logger.warning("health: Rasa is down: %s", exc)
        return DOWN
    if not status.get("model_file"):
        logger.warning("health: Rasa is up but has no model loaded")
        return DOWN
    return OK


async def _check_action_server(rasa: RasaClient) -> dict[str, str]:
    try:
        await rasa.action_server_health()
    except RasaUnavailable as exc:
        logger.warning("health: the action server is down: %s", exc)
        return DOWN
    return OK


async def _check_database(request: Request) -> dict[str, str]:
    try:
        await run_in_threadpool(ping, request.app.state.engine)
    except Exception:  # any driver error means the database is unusable
        logger.warning("health: the database is unreachable", exc_info=True)
        return DOWN
    return OK


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "At least one component is down."}},
)
async def healthz(request: Request) -> JSONResponse:
    """Reports each component as ok or down; HTTP 200 when all are up, 503 otherwise."""
    rasa: RasaClient = request.app.state.rasa
    rasa_state, action_state, database_state = await asyncio.gather(
        _check_rasa(rasa), _check_action_server(rasa), _check_database(request)
    )
    components = {"rasa": rasa_state, "action_server": action_state, "database": database_state}
    healthy = all(component["status"] == "ok" for component in components.values())
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", "components": components},
        status_code=200 if healthy else 503,
    )
