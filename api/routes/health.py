"""Health of the three processes the product needs: Rasa, the action server and the database."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.db import ping

from ..rasa_client import RasaClient, RasaUnavailable
from ..schemas import Health

router = APIRouter(tags=["health"])


async def _check_rasa(rasa: RasaClient) -> dict[str, Any]:
    try:
        status = await rasa.rasa_status()
    except RasaUnavailable as exc:
        return {"status": "down", "detail": str(exc)}
    model = status.get("model_file")
    if not model:
        return {"status": "down", "detail": "Rasa is up but has no model loaded"}
    return {"status": "ok", "detail": f"model {model}"}


async def _check_action_server(rasa: RasaClient) -> dict[str, Any]:
    try:
        await rasa.action_server_health()
    except RasaUnavailable as exc:
        return {"status": "down", "detail": str(exc)}
    return {"status": "ok", "detail": None}


async def _check_database(request: Request) -> dict[str, Any]:
    try:
        await run_in_threadpool(ping, request.app.state.engine)
    except Exception as exc:  # any driver error means the database is unusable
        return {"status": "down", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    return {"status": "ok", "detail": None}


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "At least one component is down."}},
)
async def healthz(request: Request) -> JSONResponse:
    """Reports each component; HTTP 200 when all are up, 503 otherwise."""
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
