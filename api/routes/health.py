"""Health of the three processes the product needs: Rasa, the action server and the database.

The answer is public, so it says only which component is up or down; what went wrong (an
exception's text, the model file) is logged for operators, never shown.

- `/livez` (liveness probe): the process answers; no dependency is asked, so a Rasa or database
  outage never restarts the API (it keeps storing messages meanwhile).
- `/readyz` (readiness probe): the database and Rasa answer and the event loop is not stalled
  (its heartbeat is recent); the database check fails when it takes over 3 s or, on SQLite,
  when the write lock cannot be had within 1.5 s (a write stall); 503 takes the replica out of
  the load balancer.
- `/healthz`: every component including the action server, as before (200 or 503).
- `/metrics`: Prometheus text format (api/operations.py says who may read it).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from bot.db import ping
from bot.handoff.models import Handoff

from ..operations import bearer_matches, is_loopback, monotonic
from ..rasa_client import RasaClient, RasaUnavailable
from ..schemas.health import Health, Liveness

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


# A database that cannot answer (or, on SQLite, grant its write lock) this fast is stalled; so is
# an API whose threadpool has no thread free for the check.
DATABASE_CHECK_SECONDS = 3.0


async def _check_database(request: Request, *, write: bool = False) -> dict[str, str]:
    write_within = DATABASE_CHECK_SECONDS / 2 if write else None
    try:
        await asyncio.wait_for(
            run_in_threadpool(ping, request.app.state.engine, write_within=write_within),
            DATABASE_CHECK_SECONDS,
        )
    except TimeoutError:
        logger.warning(
            "health: the database (or the threadpool) did not answer in %.0f s", DATABASE_CHECK_SECONDS
        )
        return DOWN
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


# The heartbeat task ticks every second; a loop that has not run it for this long is stalled.
STALL_SECONDS = 30.0


@router.get("/livez", response_model=Liveness)
async def livez() -> JSONResponse:
    """The process is alive and its event loop answers; asks no dependency."""
    return JSONResponse(OK)


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health, "description": "Not ready to take traffic."}},
)
async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: database and Rasa reachable, event loop not stalled."""
    rasa: RasaClient = request.app.state.rasa
    rasa_state, database_state = await asyncio.gather(_check_rasa(rasa), _check_database(request, write=True))
    heartbeat = getattr(request.app.state, "heartbeat", None)
    heartbeat_age = None if heartbeat is None else monotonic() - heartbeat
    stalled = heartbeat_age is not None and heartbeat_age > STALL_SECONDS
    if stalled:
        logger.warning("readiness: the event loop heartbeat is %.0f s old", heartbeat_age)
    components = {
        "rasa": rasa_state,
        "database": database_state,
        "event_loop": DOWN if stalled else OK,
    }
    ready = all(component["status"] == "ok" for component in components.values())
    return JSONResponse(
        {"status": "ok" if ready else "degraded", "components": components},
        status_code=200 if ready else 503,
    )


def _count_waiting(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(Handoff).where(Handoff.status == "waiting")
        ).scalar_one()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: with METRICS_TOKEN a bearer token, without it loopback peers only."""
    settings = request.app.state.settings
    token = settings.metrics_token
    if token:
        allowed = bearer_matches(request.headers.get("authorization", ""), token)
    else:
        # Loopback and not relayed: anything that came through a proxy (even one on this host)
        # carries X-Forwarded-For, and a proxy must never expose /metrics without the token.
        relayed = "x-forwarded-for" in request.headers or "bankchat.peer" in request.scope
        allowed = not relayed and is_loopback(request.client.host if request.client else None)
    if not allowed:
        return PlainTextResponse("Not Found", status_code=404)
    registry = request.app.state.metrics
    try:
        waiting = await run_in_threadpool(_count_waiting, request.app.state.engine)
        registry.handoffs_waiting.set(waiting)
    except Exception:  # the database is down: the other figures are still worth reading
        logger.warning("metrics: could not count waiting handoffs", exc_info=True)
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
